using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Cli;

/// <summary>
/// The durable-job promise, end to end: a real trawl process crawling the sandbox site is killed with SIGKILL or
/// interrupted with SIGINT, then the same command is run again, until the crawl finishes.
/// </summary>
public sealed class JobLifecycleTests(ITestOutputHelper log)
{
    // The suite crawls a smaller site, which keeps it quick on a loaded machine (3,000 pages took two minutes there);
    // bench/crash-test.sh runs the same tests at full size (TRAWL_CRASH_PAGES=10000).
    private static readonly int Pages = int.TryParse(Environment.GetEnvironmentVariable("TRAWL_CRASH_PAGES"), out var pages) ? pages : 1500;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Resume_AfterFiveKills_WritesEachItemOnce_AndRefetchesLittle()
    {
        var siteOptions = new SandboxOptions { Pages = Pages, QuotePages = 0, PageSize = 1024, Seed = 11, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var args = CrawlArgs(server, temp);
        var random = new Random(2026);
        const int kills = 5;

        for (var kill = 1; kill <= kills; kill++)
        {
            // A random moment: after the site has served some more pages than at the last kill.
            var target = server.TotalRequests + random.Next(Pages / 20, Pages / 8);
            using var child = CliProcess.Start(temp.Path, args);
            await WaitUntilAsync(() => server.TotalRequests >= target || child.HasExited);
            child.HasExited.ShouldBeFalse($"The crawl ended before kill {kill}: {child.Output}{child.Error}");
            await child.KillAsync();
            log.WriteLine($"kill {kill}: after {server.TotalRequests} requests");
        }

        using (var last = CliProcess.Start(temp.Path, args))
        {
            var exit = await last.WaitAsync(RunTimeout);
            exit.ShouldBe(ExitCodes.Finished, last.Output + last.Error);
        }

        AssertExactlyOnce(siteOptions, server, temp.File("items.jsonl"), maxFetches: 1 + kills);
        Directory.Exists(temp.File("job")).ShouldBeFalse("a finished job removes its directory");
    }

    [Fact]
    public async Task Resume_AfterCtrlC_ExitsPaused_ThenFinishesWithEachPageFetchedOnce()
    {
        var siteOptions = new SandboxOptions { Pages = Pages, QuotePages = 0, PageSize = 1024, Seed = 12, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var args = CrawlArgs(server, temp);

        using (var child = CliProcess.Start(temp.Path, args))
        {
            await WaitUntilAsync(() => server.TotalRequests >= Pages / 4 || child.HasExited);
            child.HasExited.ShouldBeFalse(child.Output + child.Error);
            child.Interrupt();
            var exit = await child.WaitAsync(RunTimeout);
            exit.ShouldBe(ExitCodes.Paused, child.Output + child.Error);
            child.Output.ShouldContain("run the same command again to resume");
        }

        using (var resumed = CliProcess.Start(temp.Path, args))
        {
            (await resumed.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, resumed.Output + resumed.Error);
        }

        AssertExactlyOnce(siteOptions, server, temp.File("items.jsonl"), maxFetches: 1);
    }

    [Fact]
    public async Task SecondProcess_OnTheSameJob_IsRefused_AndTheFirstFinishes()
    {
        // The held start URL below keeps the first process running, so a small site is enough.
        var siteOptions = new SandboxOptions { Pages = 300, QuotePages = 0, PageSize = 1024, Seed = 13, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();

        // One more start URL, answered (with a 404) only once the second process has been refused: the first cannot
        // finish and let go of the job before then, however slowly the second one starts.
        await using var holding = new HoldingServer();
        string[] args = [.. CrawlArgs(server, temp), "--start", holding.Url("/held").AbsoluteUri];

        using var first = CliProcess.Start(temp.Path, args);
        await WaitUntilAsync(() => server.TotalRequests >= 50 || first.HasExited);
        first.HasExited.ShouldBeFalse(first.Output + first.Error);
        using (var second = CliProcess.Start(temp.Path, [.. args.Select(a => a == "items.jsonl" ? "other.jsonl" : a)]))
        {
            (await second.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, second.Output + second.Error);
            second.Error.ShouldContain("in use by another");
            second.Error.ShouldNotContain("   at ");
        }

        holding.Release();
        (await first.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        AssertExactlyOnce(siteOptions, server, temp.File("items.jsonl"), maxFetches: 1);
    }

    [Fact]
    public async Task SecondCtrlC_StopsAtOnce_LeavingInFlightRequestsInProgress()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 });
        using var temp = new TempDirectory();
        await File.WriteAllLinesAsync(temp.File("urls.txt"), [new Uri(server.BaseUrl, "/trap/hang").AbsoluteUri, new Uri(server.BaseUrl, "/pages/0").AbsoluteUri]);
        string[] args = ["crawl", "--start-file", "urls.txt", "--allow", "^$", "--jobdir", "job", "-o", "items.jsonl", "--timeout", "600", "--no-progress", "--log-level", "warning"];

        using (var child = CliProcess.Start(temp.Path, args))
        {
            // The page is committed and exported once its item is in the file; the hanging request is still in flight.
            await WaitUntilAsync(() => server.FetchCount("/trap/hang") == 1 && ReadLines(temp.File("items.jsonl")).Length == 1 || child.HasExited);
            child.Interrupt();
            await WaitUntilAsync(() => child.Output.Contains("Pausing") || child.Error.Contains("Pausing") || child.HasExited);
            child.HasExited.ShouldBeFalse("the first Ctrl+C waits for the hanging request");
            child.Interrupt();
            (await child.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, child.Output + child.Error);
        }

        var status = await CliRunner.RunAsync("status", temp.File("job"), "--json");
        status.ExitCode.ShouldBe(ExitCodes.Finished, status.Error);
        var counts = JsonNode.Parse(status.Output)!["counts"]!;
        counts["in_progress"]!.GetValue<long>().ShouldBe(1);
        counts["done"]!.GetValue<long>().ShouldBe(1);
        File.ReadAllLines(temp.File("items.jsonl")).ShouldHaveSingleItem().ShouldContain("/pages/0");
    }

    [Fact]
    public async Task RetryFailed_MovesFailedRequestsBackToPending()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 });
        using var temp = new TempDirectory();
        var job = temp.File("job");
        var crawl = new[] { "crawl", "--start", new Uri(server.BaseUrl, "/trap/status/503").AbsoluteUri, "--start", server.BaseUrl.AbsoluteUri, "--allow", "^$", "--jobdir", job, "--keep-job", "--retries", "0", "--no-progress", "--log-level", "none" };
        (await CliRunner.RunAsync(crawl)).ExitCode.ShouldBe(ExitCodes.Finished);

        var text = await CliRunner.RunAsync("status", job);
        text.Output.ShouldContain("1 failed");
        text.Output.ShouldContain("http_503");

        var retry = await CliRunner.RunAsync("retry-failed", job);
        retry.ExitCode.ShouldBe(ExitCodes.Finished, retry.Error);
        retry.Output.ShouldContain("Moved 1 failed request back to pending");
        var after = JsonNode.Parse((await CliRunner.RunAsync("status", job, "--json")).Output)!;
        after["counts"]!["pending"]!.GetValue<long>().ShouldBe(1);
        after["counts"]!["failed"]!.GetValue<long>().ShouldBe(0);

        (await CliRunner.RunAsync(crawl)).ExitCode.ShouldBe(ExitCodes.Finished);
        server.FetchCount("/trap/status/503").ShouldBe(2);
    }

    [Fact]
    public async Task Status_OfADirectoryWithNoJob_IsAUsageError()
    {
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync("status", temp.File("nothing-here"));

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("no job");
    }

    private static string[] CrawlArgs(SandboxServer server, TempDirectory temp) =>
    [
        "crawl", "--start", server.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
        "--jobdir", "job", "-o", "items.jsonl", "--concurrency", "8", "--no-progress", "--log-level", "warning",
        "--checkpoint-interval", "0.2",
    ];

    private static void AssertExactlyOnce(SandboxOptions siteOptions, SandboxServer server, string output, int maxFetches)
    {
        var expected = SandboxSite.ReachablePaths(siteOptions);
        var paths = File.ReadAllLines(output).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath).ToList();
        paths.Count.ShouldBe(expected.Count, "one item per page");
        paths.ShouldBe(expected, ignoreOrder: true);
        var fetches = server.FetchCounts().Where(pair => expected.Contains(pair.Key)).ToList();
        fetches.Count.ShouldBe(expected.Count);
        fetches.Max(pair => pair.Value).ShouldBeLessThanOrEqualTo(maxFetches);
    }

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static Task WaitUntilAsync(Func<bool> condition) => Waiting.UntilAsync(condition, RunTimeout);
}
