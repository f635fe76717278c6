using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Redis;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary><c>trawl crawl --frontier</c>: worker processes sharing one crawl on a real redis-server.</summary>
public sealed class RedisClusterCliTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly RedisServer _server = fixture.Server;

    [Fact]
    public async Task TwoWorkers_ShareOneCrawl_EachPageFetchedOnce_EachItemInExactlyOneOutput()
    {
        var siteOptions = new SandboxOptions { Pages = 300, QuotePages = 0, PageSize = 1024, Seed = 21, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var name = $"c-{Guid.NewGuid():N}";

        using var one = CliProcess.Start(temp.Path, WorkerArgs(site, name, "one.jsonl"));
        using var two = CliProcess.Start(temp.Path, WorkerArgs(site, name, "two.jsonl"));
        (await one.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, one.Output + one.Error);
        (await two.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, two.Output + two.Error);

        var expected = SandboxSite.ReachablePaths(siteOptions);
        var first = Paths(temp.File("one.jsonl"));
        var second = Paths(temp.File("two.jsonl"));
        // Together, each page once. How the pages split between the two is up to the scheduler: on a busy machine one
        // worker may do them all before the other has started, and that is no fault.
        first.Concat(second).ShouldBe(expected, ignoreOrder: true);
        site.FetchCounts().Where(pair => expected.Contains(pair.Key)).ShouldAllBe(pair => pair.Value == 1);
        one.Output.ShouldContain($"crawl '{name}'");
    }

    [Fact]
    public async Task KilledWorker_StartedAgainWithTheSameOutput_TakesBackItsLeasesAtOnce_AndWritesItsShareOnce()
    {
        var siteOptions = new SandboxOptions { Pages = 300, QuotePages = 0, PageSize = 1024, Seed = 22, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var name = $"k-{Guid.NewGuid():N}";

        // Slowed by a delay, the first run holds many leases for a long time (those of the links the first pages found);
        // it is killed once it has written a few items.
        using (var killed = CliProcess.Start(temp.Path, [.. WorkerArgs(site, name, "one.jsonl"), "--delay", "0.2"]))
        {
            await WaitUntilAsync(() => LinesIn(temp.File("one.jsonl")) >= 3 || killed.HasExited);
            killed.HasExited.ShouldBeFalse(killed.Output + killed.Error);
            await killed.KillAsync();
        }

        using var again = CliProcess.Start(temp.Path, WorkerArgs(site, name, "one.jsonl", logLevel: "info"));
        (await again.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, again.Output + again.Error);

        again.Error.ShouldContain("took back");
        var expected = SandboxSite.ReachablePaths(siteOptions);
        Paths(temp.File("one.jsonl")).ShouldBe(expected, ignoreOrder: true);
        await using var admin = await RedisCrawlAdmin.ConnectAsync(new RedisCrawlOptions { Url = _server.Url, SpiderName = name }, CancellationToken.None);
        (await admin.GetStatusAsync(CancellationToken.None)).LeasesExpired.ShouldBe(0, "the killed run's leases came back at once, not by expiring");
    }

    [Fact]
    public async Task Frontier_WithJobDir_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--frontier", _server.Url, "--jobdir", "job");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain("--frontier keeps the crawl's state in Redis");
    }

    [Fact]
    public async Task BadFrontierUrl_IsAUsageError_WithoutThePassword()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--frontier", "redis://:s3cret-pw@127.0.0.1:6379/zero");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain("Invalid --frontier URL");
        (run.Output + run.Error).ShouldNotContain("s3cret-pw");
    }

    [Theory]
    [InlineData("--global-rate 5", "--global-rate, --global-burst and --global-concurrency limit a crawl shared on Redis: add --frontier")]
    [InlineData("--global-concurrency 2", "--global-rate, --global-burst and --global-concurrency limit a crawl shared on Redis: add --frontier")]
    [InlineData("FRONTIER --global-rate 0", "--global-rate must be a number of requests per second above 0")]
    [InlineData("FRONTIER --global-rate -3", "--global-rate must be a number of requests per second above 0")]
    [InlineData("FRONTIER --global-rate 1e9", "--global-rate must be a number of requests per second above 0 and at most 100000")]
    [InlineData("FRONTIER --global-burst 3", "--global-burst sizes the bucket of --global-rate: add --global-rate R.")]
    [InlineData("FRONTIER --global-rate 5 --global-burst 0", "--global-burst must be a whole number from 1 to 100000, not 0.")]
    [InlineData("FRONTIER --global-concurrency 0", "--global-concurrency must be a whole number from 1 to 100000, not 0.")]
    [InlineData("FRONTIER --global-rate fast", "fast")]
    public async Task BadGlobalLimits_AreUsageErrors_OnOneLine(string flags, string message)
    {
        var args = flags.Split(' ').SelectMany(flag => flag == "FRONTIER" ? new[] { "--frontier", _server.Url } : [flag]);

        var run = await CliRunner.RunAsync(["crawl", "--start", "http://127.0.0.1:1/", .. args]);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain(message);
        run.Error.ShouldNotContain("   at ");
    }

    private string[] WorkerArgs(SandboxServer site, string name, string output, string logLevel = "warning") =>
    [
        "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
        "--name", name, "--frontier", _server.Url, "--idle-timeout", "1", "-o", output,
        "--concurrency", "8", "--no-progress", "--log-level", logLevel, "--checkpoint-interval", "0.2",
    ];

    private static List<string> Paths(string output) =>
        File.Exists(output)
            ? [.. File.ReadAllLines(output).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath)]
            : [];

    // The worker may hold the file while it probes or writes it; then it has no whole lines to count yet.
    private static int LinesIn(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path).Count(b => b == (byte)'\n') : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(RunTimeout);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
