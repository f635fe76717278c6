using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Items;
using Trawl.Middleware;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class CrawlEngineTests
{
    private static CrawlOptions Options() => new() { HandleSignals = false };

    [Fact]
    public async Task Crawl_FetchesEveryPageOnce_AndYieldsOneItemPerPage()
    {
        await using var server = await TestSites.StartAsync(pages: 300);
        var siteOptions = new SandboxOptions { Pages = 300, QuotePages = 0, PageSize = 1024, Seed = 7 };

        var result = await new SiteSpider(server.BaseUrl).RunAsync(Options());

        var expected = SandboxSite.ReachablePaths(siteOptions);
        var fetches = TestSites.PageFetches(server, siteOptions);
        fetches.Keys.ShouldBe(expected, ignoreOrder: true);
        fetches.Values.ShouldAllBe(count => count == 1);
        result.Paused.ShouldBeFalse();
        result.Stats.Pages.ShouldBe(expected.Count);
        result.Items.Count.ShouldBe(expected.Count);
        result.Items.Select(item => item["url"]!.GetValue<string>()).Distinct().Count().ShouldBe(expected.Count);
    }

    [Fact]
    public async Task FailingCallback_IsRecordedAgainstItsRequest_AndTheCrawlGoesOn()
    {
        await using var server = await TestSites.StartAsync(pages: 50);
        var spider = new FlakySpider(server.BaseUrl, url => url.AbsolutePath == "/pages/3");

        var result = await spider.RunAsync(Options());

        result.Paused.ShouldBeFalse();
        result.Stats.ErrorsByKind["callback"].ShouldBe(1);
        result.Stats.Failed.ShouldBe(1);
        result.Items.ShouldNotContain(item => item["url"]!.GetValue<string>().EndsWith("/pages/3"));
        // Every other page is still reached through the other links.
        result.Items.Count.ShouldBe(SandboxSite.ReachablePaths(new SandboxOptions { Pages = 50, QuotePages = 0 }).Count - 1);
    }

    [Fact]
    public async Task Limit_StopsAfterThatManyFetches()
    {
        await using var server = await TestSites.StartAsync(pages: 200);
        var options = Options();
        options.Limit = 25;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.LimitReached.ShouldBeTrue();
        result.Paused.ShouldBeFalse();
        server.FetchCounts().Values.Sum().ShouldBe(25);
        result.Items.Count.ShouldBe(25);
    }

    [Fact]
    public async Task ItemLimit_StopsAtThatManyItems()
    {
        await using var server = await TestSites.StartAsync(pages: 200);
        var options = Options();
        options.ItemLimit = 10;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.LimitReached.ShouldBeTrue();
        result.Items.Count.ShouldBe(10);
        result.Stats.Items.ShouldBe(10);
    }

    [Fact]
    public async Task ServerErrors_AreRetried_ThenFailedWithTheirKind()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var options = Options();
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);
        var url = new Uri(server.BaseUrl, "/trap/status/503").AbsoluteUri;

        var result = await new ListSpider(url).RunAsync(options);

        server.FetchCount("/trap/status/503").ShouldBe(3);
        result.Stats.Retries.ShouldBe(2);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind["http_503"].ShouldBe(3);
        result.Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task NotFound_IsNotRetried_AndIsNotParsed()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var url = new Uri(server.BaseUrl, "/pages/999").AbsoluteUri;

        var result = await new ListSpider(url).RunAsync(Options());

        server.FetchCount("/pages/999").ShouldBe(1);
        result.Stats.ErrorsByKind["http_404"].ShouldBe(1);
        result.Stats.ResponsesByStatus[404].ShouldBe(1);
        result.Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task NetworkFailure_EndsAsAResultWithItsKind_NotAnException()
    {
        var options = Options();
        options.Retry.MaxRetries = 0;

        var result = await new ListSpider("http://nonexistent.invalid/").RunAsync(options);

        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind.Keys.ShouldContain("dns");
    }

    [Fact]
    public async Task Cancelling_PausesGracefully_FinishingInFlightRequests()
    {
        await using var server = await TestSites.StartAsync(pages: 2000);
        using var pause = new CancellationTokenSource();
        var options = Options();
        options.Concurrency = 4;

        var result = await new CrawlerBuilder(new SiteSpider(server.BaseUrl), options).AddMiddleware(new PauseAfterResponses(30, pause)).Build().RunAsync(pause.Token);

        result.Paused.ShouldBeTrue();
        result.Stats.Pages.ShouldBeGreaterThanOrEqualTo(30);
        result.Stats.Pages.ShouldBeLessThan(500);
        // Every request that was fetched was also parsed: nothing in flight was dropped.
        result.Stats.Pages.ShouldBe(server.FetchCounts().Values.Sum());
    }

    [Fact]
    public async Task PerDomainConcurrency_IsNeverExceeded()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var urls = Enumerable.Range(0, 24).Select(i => new Uri(server.BaseUrl, $"/trap/slow?ms=150&i={i}").AbsoluteUri).ToArray();
        var options = Options();
        options.Concurrency = 16;
        options.ConcurrencyPerDomain = 3;
        var gauge = new ConcurrencyGauge(fillTo: 3);

        var result = await new CrawlerBuilder(new ListSpider(urls), options).AddMiddleware(gauge).Build().RunAsync();

        result.Items.Count.ShouldBe(24);
        gauge.Max.ShouldBe(3, "the first three wait for one another, so the limit is reached; more would be over it");
    }

    [Fact]
    public async Task Pipelines_TransformAndDropItems_BeforeTheyAreKept()
    {
        await using var server = await TestSites.StartAsync(pages: 20);
        var crawler = new CrawlerBuilder(new SiteSpider(server.BaseUrl), Options()).AddPipeline(new DropOddPages()).AddPipeline(new Stamp()).Build();

        var result = await crawler.RunAsync();

        result.Items.ShouldNotBeEmpty();
        result.Items.ShouldAllBe(item => item["stamped"]!.GetValue<bool>());
        result.Items.ShouldAllBe(item => !IsOddPage(item));
        (result.Stats.ItemsExported + result.Stats.ItemsDropped).ShouldBe(result.Stats.Items);
        result.Stats.ItemsDropped.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Middleware_CanAddHeaders_AndReplaceResponses()
    {
        await using var server = await TestSites.StartAsync(pages: 3);
        var spider = new ListSpider(new Uri(server.BaseUrl, "/pages/0").AbsoluteUri, new Uri(server.BaseUrl, "/pages/1").AbsoluteUri);

        await new CrawlerBuilder(spider, Options()).AddMiddleware(new UserAgentRotation("agent-a", "agent-b")).Build().RunAsync();

        server.RequestLog().Select(request => request.UserAgent).ShouldBe(["agent-a", "agent-b"], ignoreOrder: true);
    }

    [Fact]
    public async Task Output_StreamsItemsToTheFile_AndResultKeepsNone()
    {
        await using var server = await TestSites.StartAsync(pages: 30);
        using var temp = new TempDirectory();
        var options = Options();
        options.Output = temp.File("items.jsonl");

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        var lines = File.ReadAllLines(options.Output);
        lines.Length.ShouldBe((int)result.Stats.Items);
        lines.Select(line => JsonNode.Parse(line)!["url"]!.GetValue<string>()).Distinct().Count().ShouldBe(lines.Length);
        result.Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task InvalidOptions_FailWithTheOptionsName()
    {
        var options = Options();
        options.Concurrency = 0;

        var error = await Should.ThrowAsync<ArgumentException>(() => new ListSpider("http://127.0.0.1:1/").RunAsync(options));

        error.Message.ShouldContain("Concurrency");
    }

    private static bool IsOddPage(JsonObject item) =>
        item["url"]!.GetValue<string>() is var url && url.Contains("/pages/") && int.Parse(url[(url.LastIndexOf('/') + 1)..]) % 2 == 1;

    private sealed class DropOddPages : ItemPipeline
    {
        public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) =>
            new(IsOddPage(item) ? null : item);
    }

    private sealed class Stamp : ItemPipeline
    {
        public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken)
        {
            item["stamped"] = true;
            return new(item);
        }
    }

    /// <summary>
    /// Counts the requests between request and response, and keeps the highest count. The first requests wait (in
    /// <see cref="ProcessRequestAsync"/>) until <paramref name="fillTo"/> are in flight together, so the limit is
    /// reached however the machine schedules them, rather than only when their downloads happen to overlap.
    /// </summary>
    private sealed class ConcurrencyGauge(int fillTo) : DownloaderMiddleware
    {
        private readonly TaskCompletionSource _filled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _current;
        private int _max;

        public int Max => _max;

        public override async ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _current);
            int seen;
            while (now > (seen = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, seen) != seen)
            {
            }

            if (now >= fillTo)
            {
                _filled.TrySetResult();
            }

            try
            {
                await _filled.Task.WaitAsync(Waiting.Generous, cancellationToken);
            }
            catch (TimeoutException)
            {
                // The limit was never reached, which Max shows; the request goes on so that the crawl can end.
            }

            return request;
        }

        public override ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken)
        {
            Interlocked.Decrement(ref _current);
            return new(response);
        }
    }

    private sealed class UserAgentRotation(params string[] agents) : DownloaderMiddleware
    {
        private int _next;

        public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            request.Headers["User-Agent"] = agents[Interlocked.Increment(ref _next) % agents.Length];
            return new(request);
        }
    }
}
