using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Cli;

/// <summary>
/// The durable-job promise, end to end: a real trawl process crawling the sandbox site is killed with SIGKILL or
/// interrupted with SIGINT, then the same command is run again, until the crawl finishes.
/// </summary>
public sealed class JobLifecycleTests(ITestOutputHelper log)
{
    // The suite crawls a smaller site; bench/crash-test.sh runs the same test at full size (TRAWL_CRASH_PAGES=10000).
    private static readonly int Pages = int.TryParse(Environment.GetEnvironmentVariable("TRAWL_CRASH_PAGES"), out var pages) ? pages : 3000;
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
        var siteOptions = new SandboxOptions { Pages = Pages, QuotePages = 0, PageSize = 1024, Seed = 13, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var args = CrawlArgs(server, temp);

        using var first = CliProcess.Start(temp.Path, args);
        await WaitUntilAsync(() => server.TotalRequests >= 50 || first.HasExited);
        using (var second = CliProcess.Start(temp.Path, [.. args.Select(a => a == "items.jsonl" ? "other.jsonl" : a)]))
        {
            (await second.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, second.Output + second.Error);
            second.Error.ShouldContain("in use by another");
            second.Error.ShouldNotContain("   at ");
        }

        (await first.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        AssertExactlyOnce(siteOptions, server, temp.File("items.jsonl"), maxFetches: 1);
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

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (!condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "timed out waiting for the crawl");
            await Task.Delay(5);
        }
    }
}
