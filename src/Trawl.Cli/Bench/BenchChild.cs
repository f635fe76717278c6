using System.Globalization;
using Trawl.Cli.Commands;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Bench;

/// <summary>
/// One benchmark run, in a process of its own (<c>trawl bench-run</c>), so that its CPU time, allocations and peak RSS
/// are its own: a crawl of a sandbox site, or one of the ceiling loops over the same pages.
/// </summary>
internal static class BenchChild
{
    /// <summary>The pages of a sandbox site of <paramref name="pages"/> synthetic pages without a quotes section: home and <c>/pages/i</c>.</summary>
    public static Uri[] SitePages(Uri site, int pages)
    {
        var urls = new Uri[pages + 1];
        urls[0] = site;
        for (var i = 0; i < pages; i++)
        {
            urls[i + 1] = new Uri(site, string.Create(CultureInfo.InvariantCulture, $"pages/{i}"));
        }

        return urls;
    }

    /// <summary>
    /// The spider every benchmark crawl runs, the equivalent of the Scrapy spider in <c>bench/compare-scrapy.sh</c>:
    /// from the home page, follow every link on the site's host, and yield one item per page with its URL and the
    /// fields (<c>NAME=SELECTOR</c>; by default the title).
    /// </summary>
    public static DeclarativeSpider Spider(Uri site, IReadOnlyList<string> fields)
    {
        var definition = new DeclarativeSpiderDefinition { Name = "bench", Start = [site.AbsoluteUri] };
        foreach (var field in fields)
        {
            FieldArgument.AddTo(definition, field);
        }

        return new DeclarativeSpider(definition);
    }

    /// <summary>Runs <paramref name="mode"/> and returns its figures; writes a <see cref="BenchSample"/> line to <paramref name="progress"/> about once a second.</summary>
    /// <param name="mode">What to run.</param>
    /// <param name="site">The site's home page.</param>
    /// <param name="pages">The site's synthetic pages (for the ceiling loops, which do not discover them).</param>
    /// <param name="concurrency">Requests in flight, in all and to the site's one host (crawls only).</param>
    /// <param name="work">An empty directory for the items and the job; the caller removes it.</param>
    /// <param name="fields">The item fields of the crawls, <c>NAME=SELECTOR</c>.</param>
    /// <param name="maxBytesInFlight">The crawls' budget of response bytes in flight.</param>
    /// <param name="progress">Where the samples go.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public static async Task<BenchFigures> RunAsync(
        BenchMode mode, Uri site, int pages, int concurrency, string work, IReadOnlyList<string> fields, long? maxBytesInFlight, TextWriter progress, CancellationToken cancellationToken)
    {
        var clock = new FirstPageClock();
        void Report(TimeSpan elapsed, long done) => progress.WriteLine(BenchSample.Now(elapsed, done).ToString());

        long done, failed, links = 0;
        TimeSpan elapsed;
        if (mode.IsCrawl())
        {
            var options = new CrawlOptions
            {
                Concurrency = concurrency,
                ConcurrencyPerDomain = concurrency,
                Output = Path.Combine(work, "items.jsonl"),
                JobDir = mode == BenchMode.JobDir ? Path.Combine(work, "job") : null,
                HandleSignals = false,
                ProgressInterval = TimeSpan.FromSeconds(1),
                MaxResponseBytesInFlight = maxBytesInFlight,
            };
            options.RobotsTxt.Obey = false;
            var crawler = new CrawlerBuilder(Spider(site, fields), options)
                .UseAbortToken(cancellationToken)
                .ReportProgress(new Reporter(value => Report(value.Stats.Elapsed, value.Stats.Pages)))
                .AddMiddleware(clock.Middleware())
                .Build();
            var result = await crawler.RunAsync(cancellationToken).ConfigureAwait(false);
            if (result.Error is not null)
            {
                throw new InvalidOperationException($"The crawl stopped with an error: {result.Error}");
            }

            (done, failed, elapsed) = (result.Stats.Pages, result.Stats.Failed, result.Stats.Elapsed);
        }
        else
        {
            (done, failed, links, elapsed) = await CeilingLoop.RunAsync(SitePages(site, pages), mode == BenchMode.FetchParse, clock, Report, cancellationToken).ConfigureAwait(false);
        }

        Report(elapsed, done);
        return new BenchFigures
        {
            Pages = done,
            Failed = failed,
            Links = links,
            Seconds = elapsed.TotalSeconds,
            CpuSeconds = ProcessFigures.CpuTime().TotalSeconds,
            AllocatedBytes = GC.GetTotalAllocatedBytes(precise: true),
            PeakRssBytes = ProcessFigures.PeakResidentKib() * 1024,
            TimeToFirstPageMs = clock.MillisecondsSinceProcessStart(),
        };
    }

    // Reports on the engine's thread, not through a captured synchronization context as Progress<T> would.
    private sealed class Reporter(Action<CrawlProgress> report) : IProgress<CrawlProgress>
    {
        public void Report(CrawlProgress value) => report(value);
    }
}
