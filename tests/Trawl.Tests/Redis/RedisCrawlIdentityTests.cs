using System.Text;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>
/// A crawl's identity (its config, with the epoch recorded when it began), on a real redis-server (issue 16, bug 4): a
/// crawl that vanishes under its workers is an error on every call, written before anything is, never an empty crawl
/// that looks finished. Each test has a redis-server of its own, since they flush it.
/// </summary>
public sealed class RedisCrawlIdentityTests() : RedisCrawlTestBase("id", fakeClock: false)
{
    private RedisServer? _server;

    protected override async Task<RedisServer> ServerAsync() => _server = await RedisServer.StartAsync();

    protected override async Task DisposeServerAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    [Fact]
    public async Task AfterFlushDb_EveryCallOfAWorker_FailsWithCrawlLost_NamingTheCause_AndWritesNothing()
    {
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b")], Ct);
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();

        await Raw.ExecuteAsync("FLUSHDB");

        var calls = new Func<Task>[]
        {
            () => worker.TryLeaseAsync(10, Ct).AsTask(),
            () => worker.WaitToLeaseAsync(Ct).AsTask(),
            () => worker.WaitToLeaseAsync(TimeSpan.FromSeconds(10), Ct).AsTask(),
            () => worker.CompleteAsync([Completion.Done(lease, 200, [new Request("http://example.com/c")], [Encoding.UTF8.GetBytes("{}")])], Ct).AsTask(),
            () => worker.RenewAsync([lease], Ct).AsTask(),
            () => worker.ReleaseAsync([lease], Ct).AsTask(),
            () => worker.AddAsync([new Request("http://example.com/d")], Ct).AsTask(),
            () => worker.GetCountsAsync(Ct).AsTask(),
            () => worker.ReadItemsAsync(0, 10, Ct).AsTask(),
            () => worker.SetExportCheckpointAsync("/out.jsonl", new ExportCheckpoint(1, 10), Ct).AsTask(),
        };
        foreach (var call in calls)
        {
            var ex = await Should.ThrowAsync<RedisCrawlLostException>(call);
            ex.Message.ShouldContain($"Crawl '{Crawl.Spider}' is gone from Redis at redis://127.0.0.1:{_server!.Port}/0");
            ex.Message.ShouldContain("FLUSHDB");
        }

        ((long)await Raw.ExecuteAsync("DBSIZE")).ShouldBe(0, "nothing was written to the vanished crawl");
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task ACrawlMadeAnewUnderTheSameName_IsNotTakenForTheOldOne()
    {
        var old = await WorkerAsync("old");
        await old.AddAsync([new Request("http://example.com/a")], Ct);
        await Raw.ExecuteAsync("FLUSHDB");
        var fresh = await WorkerAsync("fresh");
        await fresh.AddAsync([new Request("http://example.com/new")], Ct);

        var ex = await Should.ThrowAsync<RedisCrawlLostException>(() => old.TryLeaseAsync(10, Ct).AsTask());

        ex.Message.ShouldContain("made anew");
        (await fresh.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/new", "the new crawl is untouched by the old worker");
    }

    [Fact]
    public async Task ACrawlRecordedBeforeEpochs_GetsOne_AndItsWorkersCarryOn()
    {
        var first = await WorkerAsync("first");
        await first.AddAsync([new Request("http://example.com/a")], Ct);
        await Raw.HashDeleteAsync($"trawl:{Crawl.Spider}:config", "epoch");

        var upgraded = await WorkerAsync("upgraded");

        (await Raw.HashGetAsync($"trawl:{Crawl.Spider}:config", "epoch")).HasValue.ShouldBeTrue();
        (await upgraded.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/a");
    }

    [Fact]
    public async Task AnAdmin_OfAFlushedCrawl_FailsWithCrawlLost_ButOneOfACrawlWithOnlySeeds_ChecksNothing()
    {
        await WorkerAsync("w");
        var admin = await AdminAsync(Crawl.Spider);
        var seededOnly = $"seeded-{Guid.NewGuid():N}";
        await Raw.ListLeftPushAsync($"trawl:{seededOnly}:start_urls", "http://example.com/");
        var ofSeeds = await AdminAsync(seededOnly);

        await Raw.ExecuteAsync("FLUSHDB");

        await Should.ThrowAsync<RedisCrawlLostException>(() => admin.GetStatusAsync(Ct).AsTask());
        (await ofSeeds.GetStatusAsync(Ct)).SeedsWaiting.ShouldBe(0);
    }

    private Task<RedisCrawlAdmin> AdminAsync(string spider) => Crawl.AdminAsync(Ct, spider);

    private Task<RedisFrontier> WorkerAsync(string workerId) => Crawl.WorkerAsync(options => options.WorkerId = workerId, Ct);
}
