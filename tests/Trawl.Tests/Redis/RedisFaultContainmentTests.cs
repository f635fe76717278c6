using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Redis;
using Trawl.Sandbox;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>
/// The engine's fault containment and robots.txt admission on a real Redis frontier, whose leases expire and are
/// renewed: a request whose handling throws, or that waits on a robots.txt, is completed, so the shared crawl finishes.
/// </summary>
public sealed class RedisFaultContainmentTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private const int Pages = 40;

    // A crawl that hangs is stopped at once by this, and then fails its assertions instead of hanging the suite.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private readonly RedisServer _server = fixture.Server;
    private readonly string _name = $"faults-{Guid.NewGuid():N}";

    [Fact]
    public async Task Acceptance_ThrowingMiddlewarePipelineAndExporter_OnRedis_FinishWithTheBadOnesRecordedAndTheRestComplete()
    {
        await using var site = await TestSites.StartAsync(pages: Pages);
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        await using var frontier = await ConnectAsync(hang.Token);
        var options = new CrawlOptions { HandleSignals = false, Output = temp.File("items.csv") };
        var result = await new CrawlerBuilder(new FaultySiteSpider(site.BaseUrl, unwritablePath: "/pages/7"), options)
            .UseFrontier(frontier)
            .UseAbortToken(hang.Token)
            .AddMiddleware(new ThrowingMiddleware(onRequest: url => url.AbsolutePath == "/pages/3"))
            .AddPipeline(new ThrowingPipeline("/pages/5\""))
            .Build()
            .RunAsync();

        result.Error.ShouldBeNull();
        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.ErrorsByKind["middleware_error"].ShouldBe(1);
        result.Stats.ErrorsByKind["pipeline_error"].ShouldBe(1);
        result.Stats.ErrorsByKind["exporter_error"].ShouldBe(1);
        result.Stats.ItemsFailed.ShouldBe(2);
        var reachable = SandboxSite.ReachablePaths(new SandboxOptions { Pages = Pages, QuotePages = 0 });
        File.ReadAllLines(options.Output).Skip(1).Select(row => new Uri(row.Split(',')[0]).AbsolutePath)
            .ShouldBe(reachable.Where(path => path is not ("/pages/3" or "/pages/5" or "/pages/7")), ignoreOrder: true);
        var status = await StatusAsync(hang.Token);
        status.Counts.Failed.ShouldBe(1);
        status.Counts.Pending.ShouldBe(0);
        status.Counts.InProgress.ShouldBe(0);
        status.Counts.Done.ShouldBe(reachable.Count - 1);
        status.TopErrors.ShouldHaveSingleItem().Kind.ShouldBe("middleware_error");
    }

    [Fact]
    public async Task AnIpv6LiteralStartUrl_OnRedis_IsCrawled_AndTheSharedCrawlFinishes()
    {
        await using var site = await TestSites.StartAsync(pages: 10, configure: options => options.Host = "::1");
        using var hang = new CancellationTokenSource(HangLimit);
        await using var frontier = await ConnectAsync(hang.Token);
        var options = new CrawlOptions { HandleSignals = false };
        options.RobotsTxt.Obey = true;

        var result = await new CrawlerBuilder(new SiteSpider(site.BaseUrl), options).UseFrontier(frontier).UseAbortToken(hang.Token).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        site.FetchCount("/robots.txt").ShouldBe(1);
        var status = await StatusAsync(hang.Token);
        status.Counts.Done.ShouldBe(SandboxSite.ReachablePaths(new SandboxOptions { Pages = 10, QuotePages = 0 }).Count);
        status.Counts.InProgress.ShouldBe(0);
    }

    private async Task<RedisCrawlStatus> StatusAsync(CancellationToken cancellationToken)
    {
        await using var admin = await RedisCrawlAdmin.ConnectAsync(new RedisCrawlOptions { Url = _server.Url, SpiderName = _name }, cancellationToken);
        return await admin.GetStatusAsync(cancellationToken);
    }

    private Task<RedisFrontier> ConnectAsync(CancellationToken cancellationToken) =>
        RedisFrontier.ConnectAsync(
            new RedisFrontierOptions
            {
                Url = _server.Url,
                SpiderName = _name,
                LeaseDuration = TimeSpan.FromSeconds(3),
                IdlePollInterval = TimeSpan.FromMilliseconds(200),
            },
            cancellationToken);
}
