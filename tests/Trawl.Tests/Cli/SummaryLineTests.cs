using System.Globalization;
using System.Text.RegularExpressions;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>The closing line tells failed requests (by their final kind) apart from retries, and each list adds up.</summary>
public sealed partial class SummaryLineTests
{
    [Fact]
    public async Task TheClosingLine_CountsFailedRequestsByTheirFinalKind_AndRetriesApart()
    {
        await using var site = await TestSites.StartAsync(pages: 10);
        string[] starts = [Url(site, "/trap/status/404?n=1"), Url(site, "/trap/status/404?n=2"), Url(site, "/trap/status/503"), Url(site, "/trap/flaky/a?fail=1"), Url(site, "/trap/flaky/b?fail=1")];

        var run = await CliRunner.RunAsync(["crawl", .. starts.SelectMany(url => new[] { "--start", url }), "--no-job", "--no-progress", "--log-level", "warning", "--retries", "1", "--allow", "^$"]);

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var line = Closing().Match(run.Output);
        line.Success.ShouldBeTrue(run.Output);
        line.Groups["failed"].Value.ShouldBe("3 failed (http_404 2, http_503 1)");
        line.Groups["retries"].Value.ShouldBe("3 retries (http_503 3)");
        foreach (var part in new[] { line.Groups["failed"].Value, line.Groups["retries"].Value })
        {
            var total = int.Parse(part[..part.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
            var kinds = part[(part.IndexOf('(', StringComparison.Ordinal) + 1)..^1].Split(", ");
            kinds.Sum(kind => int.Parse(kind[(kind.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)).ShouldBe(total, part);
        }
    }

    private static string Url(SandboxServer site, string path) => new Uri(site.BaseUrl, path).AbsoluteUri;

    [GeneratedRegex(@"Finished \S+: [\d,]+ pages, [\d,]+ items, (?<failed>[\d,]+ failed \([^)]*\)), (?<retries>[\d,]+ retries \([^)]*\)) in ")]
    private static partial Regex Closing();
}
