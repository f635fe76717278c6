using Trawl.Engine;
using Trawl.Redis;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>The engine on the Redis frontier: heartbeats, and what a worker commits.</summary>
public sealed class RedisEngineTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private readonly RedisServer _server = fixture.Server;

    [Fact]
    public async Task SlowRequest_LongerThanTheLease_IsRenewed_FetchedOnce_AndCommittedOnce()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var site = await TestSites.StartAsync(pages: 5);
        var spider = $"hb-{Guid.NewGuid():N}";
        await using var frontier = await RedisFrontier.ConnectAsync(new RedisFrontierOptions
        {
            Url = _server.Url,
            SpiderName = spider,
            // Renewed every second: the request outlives its lease (5 s against 3 s) unless it is renewed, and a stall of
            // the whole machine would have to last two seconds to let it lapse.
            LeaseDuration = TimeSpan.FromSeconds(3),
            IdlePollInterval = TimeSpan.FromMilliseconds(200),
        }, timeout.Token);
        // A second worker on the same crawl would take the slow request if its lease lapsed.
        await using var other = await RedisFrontier.ConnectAsync(new RedisFrontierOptions { Url = _server.Url, SpiderName = spider }, timeout.Token);
        var slow = new Uri(site.BaseUrl, "/trap/slow?ms=5000").AbsoluteUri;
        var options = new CrawlOptions { HandleSignals = false, Frontier = frontier, AbortToken = timeout.Token };
        options.Downloader.Timeout = TimeSpan.FromSeconds(30);

        var crawl = new ListSpider(slow).RunAsync(options);
        var stolen = 0;
        // Once the engine has the request (the site sees it), the other worker tries to take it until the crawl ends.
        while (!site.FetchCounts().ContainsKey("/trap/slow?ms=5000"))
        {
            await Task.Delay(20, timeout.Token);
        }

        while (!crawl.IsCompleted)
        {
            stolen += (await other.TryLeaseAsync(10, timeout.Token)).Count;
            await Task.WhenAny(crawl, Task.Delay(250, timeout.Token));
        }

        var result = await crawl;
        stolen.ShouldBe(0);
        result.Paused.ShouldBeFalse();
        result.Items.Count.ShouldBe(1);
        site.FetchCounts()["/trap/slow?ms=5000"].ShouldBe(1);
        await using var admin = await RedisCrawlAdmin.ConnectAsync(new RedisCrawlOptions { Url = _server.Url, SpiderName = spider }, timeout.Token);
        var status = await admin.GetStatusAsync(timeout.Token);
        status.LeasesExpired.ShouldBe(0);
        status.Items.ShouldBe(1);
    }

    [Fact]
    public async Task ItemShare_ReadsAndCheckpointsOnlyItsOwnItems_WhileTheWholeLogHasAll()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var spider = $"share-{Guid.NewGuid():N}";
        await using var a = await RedisFrontier.ConnectAsync(new RedisFrontierOptions { Url = _server.Url, SpiderName = spider, ItemShare = "host:/a.jsonl" }, timeout.Token);
        await using var b = await RedisFrontier.ConnectAsync(new RedisFrontierOptions { Url = _server.Url, SpiderName = spider, ItemShare = "host:/b.jsonl" }, timeout.Token);
        await using var all = await RedisFrontier.ConnectAsync(new RedisFrontierOptions { Url = _server.Url, SpiderName = spider }, timeout.Token);
        await a.AddAsync([.. Enumerable.Range(0, 3000).Select(i => new Trawl.Http.Request($"http://example.com/{i}"))], timeout.Token);
        // b commits 2,500 items in between a's, so a's replay has to look past a long run of others' items.
        foreach (var (worker, count) in new[] { (a, 250), (b, 2500), (a, 250) })
        {
            var leases = await worker.TryLeaseAsync(count, timeout.Token);
            await worker.CompleteAsync([.. leases.Select(l => Trawl.Frontier.Completion.Done(l, 200, [], [System.Text.Encoding.UTF8.GetBytes($"{{\"u\":\"{l.Request.Url.AbsolutePath}\"}}")]))], timeout.Token);
        }

        var mine = await ReadAllAsync(a, timeout.Token);
        mine.Count.ShouldBe(500);
        (await ReadAllAsync(b, timeout.Token)).Count.ShouldBe(2500);
        (await ReadAllAsync(all, timeout.Token)).Count.ShouldBe(3000);
        (await a.ReadItemsAsync(mine[249].Sequence, 1000, timeout.Token)).First().Sequence.ShouldBe(mine[250].Sequence);

        await a.SetExportCheckpointAsync("/a.jsonl", new Trawl.Frontier.ExportCheckpoint(7, 70), timeout.Token);
        (await a.GetExportCheckpointAsync("/a.jsonl", timeout.Token)).Sequence.ShouldBe(7);
        (await all.GetExportCheckpointAsync("/a.jsonl", timeout.Token)).Sequence.ShouldBe(0);
    }

    private static async Task<List<Trawl.Frontier.CommittedItem>> ReadAllAsync(RedisFrontier frontier, CancellationToken ct)
    {
        var items = new List<Trawl.Frontier.CommittedItem>();
        while (true)
        {
            var page = await frontier.ReadItemsAsync(items.Count == 0 ? 0 : items[^1].Sequence, 100, ct);
            if (page.Count == 0)
            {
                return items;
            }

            items.AddRange(page);
        }
    }
}
