using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>Redis crashes and comes back (with AOF, fsync always): workers pause, reconnect, and lose nothing.</summary>
public sealed class RedisResilienceTests : IAsyncLifetime
{
    private const int Pages = 400;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(120));
    private RedisServer? _server;

    private CancellationToken Ct => _timeout.Token;

    private RedisServer Server => _server!;

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Crawl_SurvivesRedisRestarts_WithEveryPageDoneAndEveryItemCommittedOnce()
    {
        var spider = $"crash-{Guid.NewGuid():N}";
        var logs = new CapturingLoggerProvider();
        await using var a = await WorkerAsync(spider, "a", o => o.LoggerFactory = logs);
        await using var b = await WorkerAsync(spider, "b", o => o.LoggerFactory = logs);
        await a.AddAsync([Page(0)], Ct);
        var outputs = new ConcurrentBag<(long Sequence, int Page)>();
        var completed = 0;

        async Task RunAsync(RedisFrontier worker)
        {
            while (true)
            {
                var leases = await worker.TryLeaseAsync(16, Ct);
                if (leases.Count == 0)
                {
                    if (!await worker.WaitToLeaseAsync(Ct))
                    {
                        return;
                    }

                    continue;
                }

                var batch = leases.Select(lease =>
                {
                    var page = int.Parse(lease.Request.Url.AbsolutePath.TrimStart('/').TrimStart('p'));
                    Request[] links = [.. new[] { (2 * page) + 1, (2 * page) + 2 }.Where(p => p < Pages).Select(Page)];
                    return Completion.Done(lease, 200, links, [Encoding.UTF8.GetBytes($"{{\"page\":{page}}}")]);
                }).ToList();
                var result = await worker.CompleteAsync(batch, Ct);
                foreach (var item in result.Items)
                {
                    outputs.Add((item.Sequence, JsonDocument.Parse(item.Json).RootElement.GetProperty("page").GetInt32()));
                }

                Interlocked.Add(ref completed, result.Accepted.Count(x => x));
            }
        }

        var crawl = Task.WhenAll(RunAsync(a), RunAsync(b));
        foreach (var after in new[] { Pages / 4, Pages / 2 })
        {
            while (Volatile.Read(ref completed) < after && !crawl.IsCompleted)
            {
                await Task.Delay(5, Ct);
            }

            await Server.RestartAsync();
        }

        await crawl.WaitAsync(Ct);

        var counts = await a.GetCountsAsync(Ct);
        counts.ShouldBe(new FrontierCounts(Pending: 0, InProgress: 0, Done: Pages, Failed: 0, Skipped: 0));
        var log = await a.ReadItemsAsync(0, Pages * 2, Ct);
        log.Select(i => JsonDocument.Parse(i.Json).RootElement.GetProperty("page").GetInt32()).Order().ShouldBe(Enumerable.Range(0, Pages));
        outputs.Select(o => o.Page).Order().ShouldBe(Enumerable.Range(0, Pages), "the workers' own outputs, together, hold each page once");
        outputs.Select(o => o.Sequence).Order().ShouldBe(log.Select(i => i.Sequence));
        logs.Entries.ShouldContain(e => e.Id.Id == 3003, "the restarts interrupted operations, which were retried");
        logs.Entries.ShouldContain(e => e.Id.Id == 3004);
    }

    [Fact]
    public async Task Operations_WaitWhileRedisIsDown_AndCarryOnWhenItIsBack()
    {
        await using var worker = await WorkerAsync($"down-{Guid.NewGuid():N}", "w");
        await worker.AddAsync([Page(1)], Ct);
        await Server.KillAsync();

        var lease = worker.TryLeaseAsync(10, Ct).AsTask();
        await Task.WhenAny(lease, Task.Delay(500));
        lease.IsCompleted.ShouldBeFalse("Redis is down: the lease waits for it");
        await Server.StartAgainAsync();

        (await lease.WaitAsync(TimeSpan.FromSeconds(60))).Single().Request.Url.AbsolutePath.ShouldBe("/p1");
    }

    [Fact]
    public async Task AnOutageLongerThanMaxOutage_Throws_RedisUnavailable()
    {
        await using var worker = await WorkerAsync($"gone-{Guid.NewGuid():N}", "w", o => o.MaxOutage = TimeSpan.FromSeconds(1));
        await Server.KillAsync();

        var ex = await Should.ThrowAsync<RedisUnavailableException>(async () => await worker.GetCountsAsync(Ct));

        ex.Message.ShouldContain($"127.0.0.1:{Server.Port}");
    }

    [Fact]
    public async Task DomainGate_WhoseRedisIsGoneLongerThanMaxOutage_StopsTheCrawlWithTheError()
    {
        await using var site = await TestSites.StartAsync(pages: 100);
        await using var redis = await WorkerAsync($"gate-{Guid.NewGuid():N}", "w", o => o.MaxOutage = TimeSpan.FromSeconds(1));
        var gate = await RedisDomainLimiter.CreateAsync(redis, new RedisDomainLimiterOptions { RequestsPerSecond = 10 }, Ct);
        var options = new CrawlOptions { HandleSignals = false, DomainGate = gate, AbortToken = Ct };

        var crawl = new SiteSpider(site.BaseUrl).RunAsync(options);
        while (site.TotalRequests < 5)
        {
            await Task.Delay(10, Ct);
        }

        await Server.KillAsync();
        var result = await crawl.WaitAsync(Ct);

        result.Paused.ShouldBeTrue();
        result.Error.ShouldNotBeNull();
        result.Error.ShouldContain($"Redis at redis://127.0.0.1:{Server.Port}/0 was unreachable");
        site.TotalRequests.ShouldBeLessThan(100, "the crawl stopped");
    }

    private static Request Page(int page) => new($"http://site.test/p{page}");

    private async Task<RedisFrontier> WorkerAsync(string spider, string id, Action<RedisFrontierOptions>? configure = null)
    {
        var options = new RedisFrontierOptions
        {
            Url = Server.Url,
            SpiderName = spider,
            WorkerId = id,
            LeaseDuration = TimeSpan.FromSeconds(3),
            IdlePollInterval = TimeSpan.FromMilliseconds(200),
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            RetryMaxDelay = TimeSpan.FromMilliseconds(300),
            OperationTimeout = TimeSpan.FromSeconds(5),
        };
        configure?.Invoke(options);
        return await RedisFrontier.ConnectAsync(options, Ct);
    }
}
