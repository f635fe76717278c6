using System.Text.Json.Nodes;
using StackExchange.Redis;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>
/// What a worker does when the crawl's data in Redis is damaged or gone, through the real CLI and a real redis-server
/// (issue 16, bugs 4 and 5): a crawl whose identity vanished is a loud failure, never a finish; a malformed entry is
/// set aside where <c>trawl status</c> shows it, and the rest of the crawl goes on.
/// </summary>
public sealed class RedisDamageCliTests : IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private readonly TempDirectory _temp = new();
    private readonly string _name = $"dmg-{Guid.NewGuid():N}";
    private RedisServer? _server;
    private ConnectionMultiplexer? _admin;

    private RedisServer Server => _server!;

    private IDatabase Db => _admin!.GetDatabase();

    public async Task InitializeAsync()
    {
        // Redis's defaults for persistence here: none (no AOF, no snapshots), so a restart comes back empty.
        _server = await RedisServer.StartAsync();
        _admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Server.Port},allowAdmin=true,abortConnect=false");
    }

    public async Task DisposeAsync()
    {
        _admin?.Close(allowCommandsToComplete: false);
        _admin?.Dispose();
        await Server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task FlushDb_MidCrawl_TheWorkerExitsWithAnError_NamingTheCause_NotFinished()
    {
        var worker = await RunWhileTheCrawlVanishesAsync(() => Db.ExecuteAsync("FLUSHDB"));

        worker.Error.ShouldContain("FLUSHDB");
    }

    [Fact]
    public async Task RedisRestartedWithoutItsData_MidCrawl_TheWorkerExitsWithAnError_NamingTheCause_NotFinished()
    {
        var worker = await RunWhileTheCrawlVanishesAsync(async () =>
        {
            try
            {
                await Db.ExecuteAsync("SHUTDOWN", "NOSAVE");
            }
            catch (RedisConnectionException)
            {
                // The server closes the connection as it goes: that is the reply.
            }

            await Server.KillAsync();
            await Server.StartAgainAsync();
        });

        worker.Error.ShouldContain("restarted without persistence");
    }

    [Fact]
    public async Task AMalformedEntry_IsSetAsideAndCounted_WhileTheWorkerCrawlsTheOthers_AndExitsNormally()
    {
        await using var site = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0, PageSize = 1024, Seed = 8, EnableRequestLog = false });
        string Page(int n) => new Uri(site.BaseUrl, $"/pages/{n}").AbsoluteUri;
        var seeded = await CliRunner.RunAsync("seed", "--frontier", Server.Url, "--name", _name, Page(1), Page(2), Page(3));
        seeded.ExitCode.ShouldBe(ExitCodes.Finished, seeded.Error);

        // The reproduction: the second entry's "priority attempts" damaged by hand.
        await Db.HashSetAsync($"trawl:{_name}:entries", "000000000000002", "notanumber xx");

        // --deny . follows no link: the worker fetches the seeds and nothing else.
        var worker = await CliRunner.RunAsync("crawl", "--name", _name, "--frontier", Server.Url, "--deny", ".", "--idle-timeout", "1",
            "-o", _temp.File("out.jsonl"), "--no-progress", "--log-level", "warning");

        worker.ExitCode.ShouldBe(ExitCodes.Finished, worker.Output + worker.Error);
        File.ReadAllLines(_temp.File("out.jsonl")).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath)
            .ShouldBe(["/pages/1", "/pages/3"], ignoreOrder: true);
        (await Db.ListLengthAsync($"trawl:{_name}:corrupt")).ShouldBe(1);
        var record = JsonNode.Parse((string)(await Db.ListGetByIndexAsync($"trawl:{_name}:corrupt", 0))!)!;
        record["value"]!.GetValue<string>().ShouldBe("notanumber xx");
        record["request"]!.GetValue<string>().ShouldContain("/pages/2");

        var text = await CliRunner.RunAsync("status", "--frontier", Server.Url, "--name", _name);
        var json = await CliRunner.RunAsync("status", "--frontier", Server.Url, "--name", _name, "--json");
        text.ExitCode.ShouldBe(ExitCodes.Finished, text.Error);
        text.Output.ShouldContain($"Corrupt:   1 set aside in trawl:{_name}:corrupt");
        text.Output.ShouldContain("notanumber xx");
        json.ExitCode.ShouldBe(ExitCodes.Finished, json.Error);
        var status = JsonNode.Parse(json.Output)!;
        status["corrupt"]!.GetValue<long>().ShouldBe(1);
        status["corrupt_entries"]![0]!["value"]!.GetValue<string>().ShouldBe("notanumber xx");
        status["counts"]!["done"]!.GetValue<long>().ShouldBe(2);
        status["counts"]!["pending"]!.GetValue<long>().ShouldBe(0);
        status["counts"]!["in_progress"]!.GetValue<long>().ShouldBe(0);
    }

    // A worker crawls a site of 2,000 pages at least 50 ms apart, far from finished when the crawl vanishes from Redis;
    // it must then exit with an error that says so. Returns what it printed.
    private async Task<CliRun> RunWhileTheCrawlVanishesAsync(Func<Task> vanish)
    {
        await using var site = await SandboxServer.StartAsync(new SandboxOptions { Pages = 2000, QuotePages = 0, PageSize = 1024, Seed = 9, EnableRequestLog = false });
        using var worker = CliProcess.Start(_temp.Path,
            "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--name", _name, "--frontier", Server.Url,
            "--idle-timeout", "1", "--concurrency", "2", "--delay", "0.05", "--no-randomize-delay", "--no-progress", "--log-level", "warning");
        await Waiting.UntilAsync(
            async () =>
            {
                worker.HasExited.ShouldBeFalse(worker.Output + worker.Error);
                var done = await Db.HashGetAsync($"trawl:{_name}:stats", "done");
                return done.HasValue && (long)done >= 5;
            },
            RunTimeout,
            "the worker to get going");

        await vanish();

        var exit = await worker.WaitAsync(RunTimeout);
        exit.ShouldBe(ExitCodes.Error, worker.Output + worker.Error);
        worker.Error.ShouldContain($"Crawl '{_name}' is gone from Redis", customMessage: worker.Output + worker.Error);
        worker.Output.ShouldNotContain($"Finished {_name}");
        return new CliRun(exit, worker.Output, worker.Error);
    }
}
