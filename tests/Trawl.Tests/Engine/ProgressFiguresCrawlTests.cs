using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Middleware;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>What a real crawl reports: its domains while requests are in flight, and failures apart from retries.</summary>
public sealed class ProgressFiguresCrawlTests
{
    [Fact]
    public async Task WhileRequestsAreInFlight_TheReportShowsTheirDomain_WithItsDelayAndQueue()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        var urls = Enumerable.Range(0, 6).Select(i => new Uri(site.BaseUrl, $"/pages/{i}").AbsoluteUri).ToArray();
        var options = new CrawlOptions { HandleSignals = false, ConcurrencyPerDomain = 2, DownloadDelay = TimeSpan.FromMilliseconds(1), RandomizeDownloadDelay = false, ProgressInterval = TimeSpan.FromMilliseconds(20) };
        var seen = new TaskCompletionSource<DomainProgress>(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new Progress(report =>
        {
            // One held in the middleware, the other five waiting: with a delay, the domain's next request waits for the
            // held one's download to begin, whatever its concurrency allows.
            if (report.Domains.FirstOrDefault(d => d.InFlight == 1 && d.Queued == 5) is { } domain)
            {
                seen.TrySetResult(domain);
            }
        });
        var hold = new HoldUntil(seen.Task);

        var run = new CrawlerBuilder(new ListSpider(urls), options).AddMiddleware(hold).ReportProgress(progress).Build().RunAsync();
        var shown = await seen.Task.WaitAsync(Waiting.Generous);
        var result = await run.WaitAsync(Waiting.Generous);

        shown.Domain.ShouldBe(site.BaseUrl.Host);
        shown.Delay.ShouldBe(TimeSpan.FromMilliseconds(1));
        shown.Errors.ShouldBe(0);
        result.Stats.Pages.ShouldBe(urls.Length);
    }

    [Fact]
    public async Task FailedRequests_AreCountedByTheirFinalKind_AndRetriesApart_EachAddingUp()
    {
        await using var site = await TestSites.StartAsync(pages: 10);
        string[] urls =
        [
            Url(site, "/trap/status/404?n=1"), Url(site, "/trap/status/404?n=2"), Url(site, "/trap/status/503"),
            Url(site, "/trap/flaky/x?fail=1"), Url(site, "/trap/flaky/y?fail=2&status=429"), Url(site, "/pages/1"),
        ];
        var options = new CrawlOptions { HandleSignals = false };
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);

        var stats = (await new CrawlerBuilder(new ListSpider(urls), options).Build().RunAsync()).Stats;

        stats.Failed.ShouldBe(3);
        stats.FailedByKind.ShouldBe(new Dictionary<string, long> { ["http_404"] = 2, ["http_503"] = 1 });
        stats.Retries.ShouldBe(5);
        stats.RetriesByKind.ShouldBe(new Dictionary<string, long> { ["http_429"] = 2, ["http_503"] = 3 });
        stats.ErrorsByKind["http_503"].ShouldBe(4, "every attempt that failed is an error event");
        stats.BytesDownloaded.ShouldBeGreaterThan(0);
    }

    private static string Url(SandboxServer site, string path) => new Uri(site.BaseUrl, path).AbsoluteUri;

    private sealed class Progress(Action<CrawlProgress> report) : IProgress<CrawlProgress>
    {
        public void Report(CrawlProgress value) => report(value);
    }

    /// <summary>Holds every request until <paramref name="release"/> completes.</summary>
    private sealed class HoldUntil(Task release) : DownloaderMiddleware
    {
        public override async ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            await release.WaitAsync(cancellationToken);
            return request;
        }
    }
}
