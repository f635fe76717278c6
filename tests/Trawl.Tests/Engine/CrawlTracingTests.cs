using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// The spans of the Trawl activity source, heard by an <see cref="ActivityListener"/>. Other crawls may run in this
/// process at the same time, so each test keeps only the spans of its own crawl: its spider's name, and the spans
/// under or linked to them. The tests of this class run one after the other, so their listeners never overlap.
/// </summary>
public sealed class CrawlTracingTests
{
    private const string CallerName = "Trawl.Tests.Caller";
    private static readonly ActivitySource Caller = new(CallerName);

    [Fact]
    public async Task Crawl_ProducesCrawlRequestDownloadParseAndCommitSpans_WithTheirTagsAndParentage()
    {
        await using var site = await TestSites.StartAsync(pages: 6);
        var name = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var spider = new TracedSpider(name, site.BaseUrl, failOn: "/pages/3");
        using var spans = new SpanRecorder(sampled: true);
        CrawlResult result;
        Activity caller;
        using (caller = Caller.StartActivity("caller")!)
        {
            result = await new CrawlerBuilder(spider, new CrawlOptions { HandleSignals = false }).Build().RunAsync();
        }

        var stats = result.Stats;
        stats.Pages.ShouldBeGreaterThanOrEqualTo(3);
        stats.Failed.ShouldBe(3, "the 404, and /pages/3 with and without its query");

        var crawl = spans.Named(CrawlTracing.CrawlSpan).Where(span => Tag(span, "trawl.spider") == name).ShouldHaveSingleItem();
        crawl.ParentSpanId.ShouldBe(caller.SpanId, "a crawl's span is a child of the span current when it ran");
        crawl.TraceId.ShouldBe(caller.TraceId);
        crawl.Source.Name.ShouldBe(CrawlTracing.SourceName);
        crawl.GetTagItem("trawl.pages").ShouldBe(stats.Pages);
        crawl.GetTagItem("trawl.items").ShouldBe(stats.Items);
        crawl.GetTagItem("trawl.failed").ShouldBe(stats.Failed);
        crawl.GetTagItem("trawl.paused").ShouldBe(false);
        crawl.Status.ShouldBe(ActivityStatusCode.Unset);

        // Each request attempt is the root of a trace of its own, linked to the crawl.
        var requests = spans.Named(CrawlTracing.RequestSpan).Where(span => Tag(span, "trawl.spider") == name).ToList();
        requests.Count.ShouldBe((int)stats.Requests);
        requests.ShouldAllBe(span => span.ParentSpanId == default && span.TraceId != crawl.TraceId);
        requests.ShouldAllBe(span => span.Links.Single().Context.SpanId == crawl.SpanId && span.Links.Single().Context.TraceId == crawl.TraceId);
        requests.Select(span => span.TraceId).Distinct().Count().ShouldBe(requests.Count);
        requests.ShouldAllBe(span => Tag(span, "server.address") == "127.0.0.1" && span.GetTagItem("trawl.attempt") != null);
        requests.Select(span => Tag(span, "url.full")).ShouldAllBe(url => url!.StartsWith(site.BaseUrl.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal) && !url.Contains('?'));
        requests.Count(span => Tag(span, "trawl.outcome") == "done").ShouldBe((int)stats.Pages);
        var notFound = requests.Single(span => Tag(span, "url.full")!.EndsWith("/trap/status/404", StringComparison.Ordinal));
        (Tag(notFound, "trawl.outcome"), Tag(notFound, "error.type"), notFound.GetTagItem("http.response.status_code"), notFound.Status)
            .ShouldBe(("failed", "http_404", (object?)404, ActivityStatusCode.Error));
        var withQuery = requests.Where(span => Tag(span, "url.full")!.EndsWith("/pages/3", StringComparison.Ordinal)).ToList();
        withQuery.Count.ShouldBe(2, "/pages/3 linked from the site, and /pages/3?token=secret given as a start URL: the query is left out");
        withQuery.ShouldAllBe(span => Tag(span, "trawl.outcome") == "failed" && Tag(span, "error.type") == "callback");

        // Downloads and parses are children of their request.
        var byId = requests.ToDictionary(span => span.SpanId);
        var downloads = spans.Named(CrawlTracing.DownloadSpan).Where(span => byId.ContainsKey(span.ParentSpanId)).ToList();
        downloads.Count.ShouldBe(requests.Count, "one download per attempt");
        downloads.ShouldAllBe(span => span.Kind == ActivityKind.Client && span.TraceId == byId[span.ParentSpanId].TraceId);
        downloads.ShouldAllBe(span => Tag(span, "url.full") == Tag(byId[span.ParentSpanId], "url.full") && Tag(span, "http.request.method") == "GET");
        var notFoundDownload = downloads.Single(span => span.ParentSpanId == notFound.SpanId);
        (notFoundDownload.GetTagItem("http.response.status_code"), Tag(notFoundDownload, "error.type"), notFoundDownload.Status).ShouldBe(((object?)404, "404", ActivityStatusCode.Error));
        downloads.Where(span => span != notFoundDownload).ShouldAllBe(span => (int)span.GetTagItem("http.response.status_code")! == 200 && (int)span.GetTagItem("http.response.body.size")! > 0);

        var parses = spans.Named(CrawlTracing.ParseSpan).Where(span => byId.ContainsKey(span.ParentSpanId)).ToList();
        parses.Count.ShouldBe(requests.Count - 1, "every response but the 404 is parsed");
        parses.ShouldAllBe(span => Tag(span, "trawl.callback") == nameof(Spider.ParseAsync));
        var failedParses = parses.Where(span => span.Status == ActivityStatusCode.Error).ToList();
        failedParses.Select(span => span.ParentSpanId).ShouldBe(withQuery.Select(span => span.SpanId), ignoreOrder: true);
        failedParses.ShouldAllBe(span => Tag(span, "error.type") == "callback");
        parses.Except(failedParses).Sum(span => (int)span.GetTagItem("trawl.items")!).ShouldBe((int)stats.Items);
        parses.Except(failedParses).ShouldAllBe(span => (int)span.GetTagItem("trawl.requests")! >= 0);

        // Commits: traces of their own, linked to the crawl; together they committed every request.
        var commits = spans.Named(CrawlTracing.CommitSpan).Where(span => span.Links.Any(link => link.Context.SpanId == crawl.SpanId)).ToList();
        commits.ShouldNotBeEmpty();
        commits.ShouldAllBe(span => span.ParentSpanId == default && Equals(span.GetTagItem("trawl.durable"), false));
        commits.Sum(span => (int)span.GetTagItem("trawl.requests")!).ShouldBe(requests.Count);
        commits.Sum(span => (int)span.GetTagItem("trawl.items")!).ShouldBe((int)stats.Items);
    }

    [Fact]
    public async Task Crawl_WhoseSpansNoSamplerKeeps_RecordsNone_AndCrawlsAsUsual()
    {
        await using var site = await TestSites.StartAsync(pages: 4);
        var name = "unsampled-" + Guid.NewGuid().ToString("N")[..8];
        using var spans = new SpanRecorder(sampled: false);

        var result = await new CrawlerBuilder(new TracedSpider(name, site.BaseUrl, failOn: null), new CrawlOptions { HandleSignals = false }).Build().RunAsync();

        result.Stats.Pages.ShouldBeGreaterThanOrEqualTo(4);
        spans.Asked.ShouldBeGreaterThan(0, "the listener was asked");
        spans.All.ShouldBeEmpty();
    }

    [Fact]
    public async Task Crawl_ThatCannotStart_EndsItsSpanWithTheError()
    {
        using var temp = new TempDirectory();
        var jobDir = temp.File("job");
        File.WriteAllText(jobDir, "a file where the job directory should be");
        var name = "unstartable-" + Guid.NewGuid().ToString("N")[..8];
        using var spans = new SpanRecorder(sampled: true);

        var thrown = await Should.ThrowAsync<Exception>(() =>
            new CrawlerBuilder(new TracedSpider(name, new Uri("http://127.0.0.1:1/"), failOn: null), new CrawlOptions { HandleSignals = false, JobDir = jobDir }).Build().RunAsync());

        var crawl = spans.Named(CrawlTracing.CrawlSpan).Where(span => Tag(span, "trawl.spider") == name).ShouldHaveSingleItem();
        crawl.Status.ShouldBe(ActivityStatusCode.Error);
        Tag(crawl, "error.type").ShouldBe(thrown.GetType().FullName);
    }

    [Fact]
    public async Task ParseSpan_OfAPageWhoseLinksAreScheduledInBatches_CountsEveryRequestItYielded()
    {
        await using var site = await TestSites.StartAsync(pages: 2);
        var name = "many-links-" + Guid.NewGuid().ToString("N")[..8];
        var links = (CallbackRunner.ScheduleBatch * 2) + 7;
        using var spans = new SpanRecorder(sampled: true);

        var result = await new CrawlerBuilder(new ManyLinksSpider(name, site.BaseUrl, links), new CrawlOptions { HandleSignals = false, Limit = 1 }).Build().RunAsync();

        result.Stats.Pages.ShouldBeGreaterThanOrEqualTo(1);
        var start = spans.Named(CrawlTracing.RequestSpan)
            .Where(span => Tag(span, "trawl.spider") == name && Tag(span, "url.full") == site.BaseUrl.AbsoluteUri)
            .ShouldHaveSingleItem();
        var parse = spans.Named(CrawlTracing.ParseSpan).Where(span => span.ParentSpanId == start.SpanId).ShouldHaveSingleItem();
        parse.GetTagItem("trawl.requests").ShouldBe(links, "the batches scheduled while the callback ran count too");
    }

    /// <summary>The start page yields <c>links</c> requests, more than one batch's worth; other pages yield nothing.</summary>
    private sealed class ManyLinksSpider(string name, Uri site, int links) : Spider
    {
        public override string Name => name;

        public override IEnumerable<string> StartUrls => [site.AbsoluteUri];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (response.Url == site)
            {
                for (var i = 0; i < links; i++)
                {
                    yield return new Request(new Uri(site, "/pages/1?n=" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).AbsoluteUri);
                }
            }

            await Task.CompletedTask;
        }
    }

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

    /// <summary>Records the stopped spans of the Trawl source; samples all of them, or none.</summary>
    private sealed class SpanRecorder : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ActivityListener _listener;
        private int _asked;

        public SpanRecorder(bool sampled)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is CrawlTracing.SourceName or CallerName,
                Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                {
                    if (options.Source.Name == CrawlTracing.SourceName)
                    {
                        Interlocked.Increment(ref _asked);
                    }

                    return sampled || options.Source.Name == CallerName ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None;
                },
                ActivityStopped = activity =>
                {
                    if (activity.Source.Name == CrawlTracing.SourceName)
                    {
                        _stopped.Enqueue(activity);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Asked => Volatile.Read(ref _asked);

        public IReadOnlyList<Activity> All => [.. _stopped];

        public IEnumerable<Activity> Named(string name) => _stopped.Where(span => span.OperationName == name);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>One item per page, following the site's links; the callback throws on <c>failOn</c>.</summary>
    private sealed class TracedSpider(string name, Uri site, string? failOn) : Spider
    {
        public override string Name => name;

        public override IEnumerable<string> StartUrls =>
            [site.AbsoluteUri, new Uri(site, "/trap/status/404").AbsoluteUri, new Uri(site, "/pages/3?token=secret").AbsoluteUri];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (response.Url.AbsolutePath == failOn)
            {
                throw new InvalidOperationException("this page breaks the callback");
            }

            yield return new { url = response.Url.AbsoluteUri };
            foreach (var href in response.Css("a::attr(href)").GetAll())
            {
                if (response.UrlJoin(href) is { } url && url.Authority == site.Authority && url.AbsolutePath.StartsWith("/pages/", StringComparison.Ordinal))
                {
                    yield return response.Follow(href);
                }
            }

            await Task.CompletedTask;
        }
    }
}
