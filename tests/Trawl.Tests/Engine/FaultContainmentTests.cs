using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// User code that throws (downloader middleware, callbacks, item pipelines, what the exporter is handed, spider hooks)
/// fails only its own request or item, with its kind, and the crawl goes on to the end.
/// </summary>
public sealed class FaultContainmentTests
{
    private const int Pages = 40;

    // A crawl that hangs is stopped at once by this, and then fails its assertions instead of hanging the suite.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private static readonly IReadOnlySet<string> Reachable = SandboxSite.ReachablePaths(new SandboxOptions { Pages = Pages, QuotePages = 0 });

    private static CrawlOptions Options() => new() { HandleSignals = false };

    private static CrawlerBuilder Crawl(Spider spider, CrawlOptions options, CancellationTokenSource hang) =>
        new CrawlerBuilder(spider, options).UseAbortToken(hang.Token);

    [Theory]
    [InlineData("ProcessRequestAsync", 0)]
    [InlineData("ProcessResponseAsync", 1)]
    public async Task ThrowingMiddleware_FailsOnlyItsRequest_AsMiddlewareError_AndTheCrawlFinishes(string hook, int fetchesOfThePage)
    {
        await using var server = await TestSites.StartAsync(pages: Pages);
        using var hang = new CancellationTokenSource(HangLimit);
        var options = Options();
        Func<Uri, bool> page3 = url => url.AbsolutePath == "/pages/3";
        var middleware = hook == "ProcessRequestAsync" ? new ThrowingMiddleware(onRequest: page3) : new ThrowingMiddleware(onResponse: page3);

        var result = await Crawl(new SiteSpider(server.BaseUrl), options, hang).AddMiddleware(middleware).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        server.FetchCount("/pages/3").ShouldBe(fetchesOfThePage);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind["middleware_error"].ShouldBe(1);
        UrlsOf(result.Items).ShouldBe(Reachable.Where(path => path != "/pages/3"), ignoreOrder: true);
    }

    [Fact]
    public async Task ThrowingProcessError_FailsOnlyItsRequest_AsMiddlewareError_AndTheCrawlFinishes()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        using var hang = new CancellationTokenSource(HangLimit);
        var refused = $"http://127.0.0.1:{ClosedPort()}/nothing";
        var options = Options();
        options.Retry.MaxRetries = 0;
        var middleware = new ThrowingMiddleware(onError: url => url.AbsoluteUri == refused);

        var result = await Crawl(new ListSpider(new Uri(server.BaseUrl, "/pages/0").AbsoluteUri, refused), options, hang).AddMiddleware(middleware).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind["middleware_error"].ShouldBe(1);
        result.Items.ShouldHaveSingleItem()["url"]!.GetValue<string>().ShouldEndWith("/pages/0");
    }

    [Fact]
    public async Task ThrowingPipeline_FailsOnlyTheItemItThrewOn_AsPipelineError()
    {
        await using var server = await TestSites.StartAsync(pages: Pages);
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        var options = Options();
        options.Output = temp.File("items.jsonl");
        var result = await Crawl(new SiteSpider(server.BaseUrl), options, hang).AddPipeline(new ThrowingPipeline("/pages/5\"")).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.ErrorsByKind["pipeline_error"].ShouldBe(1);
        result.Stats.Failed.ShouldBe(0);
        UrlsOf(File.ReadAllLines(options.Output).Select(line => JsonNode.Parse(line)!.AsObject()))
            .ShouldBe(Reachable.Where(path => path != "/pages/5"), ignoreOrder: true);
    }

    [Fact]
    public async Task AnItemTheExporterCannotWrite_FailsOnlyThatItem_AsExporterError_AndTheCrawlFinishes()
    {
        await using var server = await TestSites.StartAsync(pages: Pages);
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        var options = Options();
        options.Output = temp.File("items.csv");

        var result = await Crawl(new FaultySiteSpider(server.BaseUrl, unwritablePath: "/pages/7"), options, hang).Build().RunAsync();

        result.Error.ShouldBeNull();
        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.ErrorsByKind["exporter_error"].ShouldBe(1);
        var rows = File.ReadAllLines(options.Output);
        rows[0].ShouldBe("url,title");
        rows.Skip(1).Select(row => new Uri(row.Split(',')[0]).AbsolutePath).ShouldBe(Reachable.Where(path => path != "/pages/7"), ignoreOrder: true);
    }

    [Fact]
    public async Task ThrowingSpiderHooks_AreLoggedAndCounted_AndTheCrawlRunsToItsEnd()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        using var hang = new CancellationTokenSource(HangLimit);
        using var log = new CapturingLoggerProvider();
        var options = Options();
        var spider = new ThrowingHooksSpider(new Uri(server.BaseUrl, "/pages/0").AbsoluteUri, new Uri(server.BaseUrl, "/pages/1").AbsoluteUri);

        var result = await Crawl(spider, options, hang).UseLoggerFactory(log.CreateFactory()).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        // The start request yielded before StartRequests threw is crawled; the one after it never existed.
        UrlsOf(result.Items).ShouldBe(["/pages/0"]);
        result.Stats.ErrorsByKind["start_requests_error"].ShouldBe(1);
        result.Stats.ErrorsByKind["on_start_error"].ShouldBe(1);
        result.Stats.ErrorsByKind["on_close_error"].ShouldBe(1);
        log.Text.ShouldContain("OnStartAsync failed");
        log.Text.ShouldContain("OnCloseAsync failed");
        log.Text.ShouldContain("StartRequests failed");
    }

    [Fact]
    public async Task Acceptance_ThrowingMiddlewarePipelineAndExporter_InAJob_FinishWithTheBadOnesRecordedAndTheRestComplete()
    {
        await using var server = await TestSites.StartAsync(pages: Pages);
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        var options = Options();
        options.JobDir = temp.File("job");
        options.KeepJob = true;
        options.Output = temp.File("items.csv");
        var result = await Crawl(new FaultySiteSpider(server.BaseUrl, unwritablePath: "/pages/7"), options, hang)
            .AddMiddleware(new ThrowingMiddleware(onRequest: url => url.AbsolutePath == "/pages/3"))
            .AddPipeline(new ThrowingPipeline("/pages/5\""))
            .Build()
            .RunAsync();

        result.Error.ShouldBeNull();
        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.ErrorsByKind["middleware_error"].ShouldBe(1);
        result.Stats.ErrorsByKind["pipeline_error"].ShouldBe(1);
        result.Stats.ErrorsByKind["exporter_error"].ShouldBe(1);
        var rows = File.ReadAllLines(options.Output);
        rows.Skip(1).Select(row => new Uri(row.Split(',')[0]).AbsolutePath)
            .ShouldBe(Reachable.Where(path => path is not ("/pages/3" or "/pages/5" or "/pages/7")), ignoreOrder: true);
        var status = (await JobStore.ReadStatusAsync(options.JobDir))!;
        status.Metadata.IsFinished.ShouldBeTrue();
        status.Counts.Failed.ShouldBe(1);
        status.Counts.Pending.ShouldBe(0);
        status.Counts.InProgress.ShouldBe(0);
        status.TopErrors.ShouldHaveSingleItem().Kind.ShouldBe("middleware_error");
        result.Stats.ItemsFailed.ShouldBe(2);
        status.ItemsFailed.ShouldBe(2);
        status.TopItemErrors.Select(error => error.Kind).ShouldBe(["exporter_error", "pipeline_error"], ignoreOrder: true);
        var shown = await CliRunner.RunAsync("status", options.JobDir);
        shown.Output.ShouldContain("2 failed (not exported)");
        shown.Output.ShouldContain("pipeline_error: ");
        shown.Output.ShouldContain("exporter_error: CsvItemExporter: ArgumentException");
    }

    private static IEnumerable<string> UrlsOf(IEnumerable<JsonObject> items) =>
        items.Select(item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class ThrowingHooksSpider(string first, string second) : Spider
    {
        public override ValueTask OnStartAsync(bool resuming, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("cannot start");

        public override ValueTask OnCloseAsync(CancellationToken cancellationToken) =>
            throw new InvalidOperationException("cannot close");

        public override IEnumerable<Request> StartRequests()
        {
            yield return new Request(first);
            throw new InvalidOperationException("no more start requests");
#pragma warning disable CS0162 // The request after the throw is never reached, on purpose.
            yield return new Request(second);
#pragma warning restore CS0162
        }

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Url.AbsoluteUri };
            await Task.CompletedTask;
        }
    }
}
