using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>Production crawls keep a job directory without being asked; test crawls (--limit) do not.</summary>
public sealed class DurableByDefaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Crawl_WithoutLimit_KeepsItsJobInTrawlDataDir_AndSaysSo()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 20, QuotePages = 0 });
        using var temp = new TempDirectory();
        var data = temp.File("data");

        using var child = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["TRAWL_DATA_DIR"] = data },
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--name", "docs", "--keep-job", "--no-progress", "--log-level", "warning");

        (await child.WaitAsync(Timeout)).ShouldBe(ExitCodes.Finished, child.Output + child.Error);
        child.Output.ShouldContain($"Job: {Path.Combine(data, "docs")}");
        child.Output.ShouldContain("Ctrl+C pauses the crawl; run the same command again to resume");
        File.Exists(Path.Combine(data, "docs", "job.db")).ShouldBeTrue();
    }

    [Fact]
    public async Task Crawl_WithoutLimitOrDataDir_UsesDotTrawlJobs_AndADerivedStableName()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 20, QuotePages = 0 });
        using var temp = new TempDirectory();
        string[] args = ["crawl", "--start", server.BaseUrl.AbsoluteUri, "--allow", "/pages/", "--keep-job", "--no-progress", "--log-level", "warning"];

        using (var first = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["TRAWL_DATA_DIR"] = "" }, args))
        {
            (await first.WaitAsync(Timeout)).ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        }

        var jobs = Directory.GetDirectories(Path.Combine(temp.Path, ".trawl", "jobs"));
        var job = jobs.ShouldHaveSingleItem();
        Path.GetFileName(job).ShouldStartWith("127.0.0.1-");

        // The same command finds the same job again.
        using var second = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["TRAWL_DATA_DIR"] = "" }, args);
        (await second.WaitAsync(Timeout)).ShouldBe(ExitCodes.Finished, second.Output + second.Error);
        second.Output.ShouldContain($"Job: {job}");
    }

    [Fact]
    public async Task Crawl_WithLimit_CreatesNoJobDirectory()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 20, QuotePages = 0 });
        using var temp = new TempDirectory();

        using var child = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["TRAWL_DATA_DIR"] = temp.File("data") },
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--limit", "5", "--no-progress", "--log-level", "warning");

        (await child.WaitAsync(Timeout)).ShouldBe(ExitCodes.Finished, child.Output + child.Error);
        child.Output.ShouldNotContain("Job:");
        Directory.Exists(temp.File("data")).ShouldBeFalse();
        // The command line obeys robots.txt, whose fetch is no page.
        server.FetchCounts().Where(pair => pair.Key != "/robots.txt").Sum(pair => pair.Value).ShouldBe(5);
    }

    [Fact]
    public async Task CrawlDir_IsAnAliasOfJobDir()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 });
        using var temp = new TempDirectory();
        var job = temp.File("crawl-state");

        var run = await CliRunner.RunAsync("crawl", "--start", server.BaseUrl.AbsoluteUri, "--limit", "3", "--crawldir", job, "--keep-job", "--no-progress", "--log-level", "none");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        run.Output.ShouldContain($"Job: {job}");
        File.Exists(Path.Combine(job, "job.db")).ShouldBeTrue();
    }

    [Fact]
    public async Task NoJob_AndJobDir_Together_AreAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--no-job", "--jobdir", "x", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("--no-job");
    }
}
