using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Trawl.Cli;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// Requests that fail outside a download (stored requests that can no longer be read, failed as <c>invalid_request</c>
/// when a resumed job leases them) reach the run's log and its summary, which agrees with the job's failure count.
/// </summary>
public sealed partial class FailuresOutsideADownloadTests
{
    [Fact]
    public async Task DamagedStoredRequests_AreLoggedAndCounted_AndTheFinalLineAgreesWithTheJob()
    {
        await using var server = await TestSites.StartAsync(pages: 200);
        using var temp = new TempDirectory();
        var jobDir = temp.File("job");
        string[] crawl = ["crawl", "--start", server.BaseUrl.AbsoluteUri, "--jobdir", jobDir, "--no-progress", "--log-level", "warning", "--concurrency", "1"];

        // A first run stops at its limit, leaving requests pending; four of them are then damaged by hand.
        var first = await CliRunner.RunAsync([.. crawl, "--limit", "3"]);
        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Error);
        DamagePending(jobDir, 4).ShouldBe(4);

        var log = temp.File("resumed.log");
        var resumed = await CliRunner.RunAsync([.. crawl, "--keep-job", "--log-file", log]);

        resumed.ExitCode.ShouldBe(ExitCodes.Finished, resumed.Error);
        File.ReadAllLines(log).Count(line => line.Contains("invalid_request", StringComparison.Ordinal) && line.Contains("cannot be read", StringComparison.Ordinal)).ShouldBe(4);
        var summary = SummaryLine().Match(resumed.Output);
        summary.Success.ShouldBeTrue(resumed.Output);
        summary.Groups["errors"].Value.ShouldContain("invalid_request 4");
        var status = await CliRunner.RunAsync("status", jobDir, "--json");
        using var json = JsonDocument.Parse(status.Output);
        var failed = json.RootElement.GetProperty("counts").GetProperty("failed").GetInt64();
        failed.ShouldBe(4);
        long.Parse(summary.Groups["failed"].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(failed);
    }

    // Overwrites the stored JSON of some pending requests with something that is not a request.
    private static int DamagePending(string jobDir, int count)
    {
        var path = Path.Combine(jobDir, "job.db");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE requests SET request = CAST('not a request' AS BLOB) WHERE id IN (SELECT id FROM requests WHERE status = 0 ORDER BY id LIMIT $count)";
        command.Parameters.AddWithValue("$count", count);
        return command.ExecuteNonQuery();
    }

    [GeneratedRegex(@"Finished \S+: [\d,]+ pages, [\d,]+ items, (?<failed>[\d,]+) failed \((?<errors>[^)]*)\)")]
    private static partial Regex SummaryLine();
}
