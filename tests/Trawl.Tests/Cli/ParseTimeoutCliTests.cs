using Trawl.Cli;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary><c>--parse-timeout</c> sets the parse budget of one page (<see cref="Trawl.Crawling.CrawlOptions.MaxParseTime"/>).</summary>
public sealed class ParseTimeoutCliTests
{
    [Fact]
    public async Task APageThatTakesLongerToParse_FailsAsParseLimit()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var page = new Uri(server.BaseUrl, "/trap/links?n=100000&compact=1").AbsoluteUri;

        // A hundred thousand elements take far more than a millisecond to parse, on any machine.
        var run = await CliRunner.RunAsync("crawl", "--start", page, "--parse-timeout", "0.001", "--no-job", "--ignore-robots", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.StartFailed, run.Error);
        run.Output.ShouldContain("1 failed (parse_limit 1)");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    public async Task ANonPositiveParseTimeout_IsAUsageError(string value)
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--parse-timeout", value, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("--parse-timeout must be a number of seconds above 0");
    }
}
