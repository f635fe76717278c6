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
            LeaseDuration = TimeSpan.FromSeconds(2),
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
        var status = await frontier.GetStatusAsync(timeout.Token);
        status.LeasesExpired.ShouldBe(0);
        status.Items.ShouldBe(1);
    }
}
