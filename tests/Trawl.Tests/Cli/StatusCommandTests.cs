using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary><c>trawl status</c> alone lists the jobs under the data directory; <c>status DIR --failed</c> lists a job's failed requests.</summary>
public sealed class StatusCommandTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Status_WithoutADirectory_ListsTheJobsUnderTheDataDirectory()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var jobs = temp.File("jobs");
        (await CliRunner.RunAsync(Crawl(site, "--jobdir", Path.Combine(jobs, "stopped"), "--limit", "2", "--start", site.BaseUrl.AbsoluteUri))).ExitCode.ShouldBe(ExitCodes.Finished);
        (await CliRunner.RunAsync(Crawl(site, "--jobdir", Path.Combine(jobs, "done"), "--keep-job", "--start", site.BaseUrl.AbsoluteUri))).ExitCode.ShouldBe(ExitCodes.Finished);
        Directory.CreateDirectory(Path.Combine(jobs, "not-a-job"));

        using var status = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["TRAWL_DATA_DIR"] = jobs }, "status");

        (await status.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, status.Error);
        var lines = status.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines[0].ShouldBe($"Jobs in {jobs}:");
        lines.ShouldContain(line => line.StartsWith("done  finished, ", StringComparison.Ordinal));
        lines.ShouldContain(line => line.StartsWith("stopped  unfinished, 2 done, ", StringComparison.Ordinal));
        status.Output.ShouldNotContain("not-a-job");
    }

    [Fact]
    public async Task Status_WithoutADirectory_AndNoJobs_SaysWhereItLooked()
    {
        using var temp = new TempDirectory();

        // No TRAWL_DATA_DIR: ./.trawl/jobs under the working directory.
        using var status = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["TRAWL_DATA_DIR"] = string.Empty }, "status");

        (await status.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, status.Error);
        status.Output.ShouldContain($"No jobs in {Path.Combine(temp.Path, ".trawl", "jobs")}");
    }

    [Fact]
    public async Task StatusFailed_ListsEachFailedUrl_WithItsKindAndMessage()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        var job = temp.File("job");
        var missing = new Uri(site.BaseUrl, "/no/such/page").AbsoluteUri;
        var failing = new Uri(site.BaseUrl, "/trap/status/500").AbsoluteUri;
        (await CliRunner.RunAsync(Crawl(site, "--jobdir", job, "--keep-job", "--retries", "0", "--start", site.BaseUrl.AbsoluteUri, "--start", missing, "--start", failing)))
            .ExitCode.ShouldBe(ExitCodes.Finished);

        var text = await CliRunner.RunAsync("status", job, "--failed");
        var json = await CliRunner.RunAsync("status", job, "--failed", "--json");

        text.ExitCode.ShouldBe(ExitCodes.Finished, text.Error);
        text.Output.ShouldContain($"2 failed requests in {job}:");
        text.Output.ShouldContain($"{missing}  http_404: ");
        text.Output.ShouldContain($"{failing}  http_500: ");
        var failed = JsonNode.Parse(json.Output)!["failed"]!.AsArray();
        failed.Select(entry => entry!["url"]!.GetValue<string>()).ShouldBe([missing, failing], ignoreOrder: true);
        failed.ShouldAllBe(entry => entry!["attempts"]!.GetValue<int>() == 1);
    }

    private static string[] Crawl(Trawl.Sandbox.SandboxServer site, params string[] args) =>
        ["crawl", "--allow", "/pages/\\d+$", "--concurrency", "2", "--no-progress", "--log-level", "error", .. args];
}
