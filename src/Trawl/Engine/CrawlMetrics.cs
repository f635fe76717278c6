using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Trawl.Crawling;

namespace Trawl.Engine;

/// <summary>
/// The crawl's metrics: instruments on the <see cref="MeterName"/> meter of <c>System.Diagnostics.Metrics</c>, updated
/// by every crawl in the process. Read them with a <see cref="MeterListener"/> or OpenTelemetry; <c>trawl crawl
/// --metrics</c> serves them in the Prometheus text format.
/// </summary>
/// <remarks>
/// <para>Every measurement is tagged <c>spider</c> (the spider's name). The instruments, with their other tags:</para>
/// <list type="bullet">
/// <item><c>trawl.pages.fetched</c> (counter, <c>status_class</c>: <c>2xx</c>, <c>3xx</c>, <c>4xx</c>, <c>5xx</c>): responses
/// received; a retried request counts each attempt that got an answer.</item>
/// <item><c>trawl.pages.completed</c> (counter): requests completed as done, fetched and parsed
/// (<see cref="CrawlStats.Pages"/>).</item>
/// <item><c>trawl.items</c> (counter): items committed (<see cref="CrawlStats.Items"/>).</item>
/// <item><c>trawl.requests.failed</c> (counter, <c>kind</c>): requests that failed for good, by error kind.</item>
/// <item><c>trawl.retries</c> (counter, <c>kind</c>): retries scheduled, by the error that caused them.</item>
/// <item><c>trawl.requests.skipped</c> (counter, <c>kind</c>): requests skipped on purpose (robots, offsite, ...).</item>
/// <item><c>trawl.downloaded.bytes</c> (counter, bytes): response bodies received, after content decoding.</item>
/// <item><c>trawl.download.duration</c> (histogram, seconds): time of each download attempt, answered or not.</item>
/// <item><c>trawl.requests.in_flight</c> (gauge): requests being downloaded or parsed now.</item>
/// <item><c>trawl.frontier.pending</c> and <c>trawl.frontier.leased</c> (gauges): the frontier's pending and leased
/// requests as of the crawl's last progress report (every <see cref="CrawlOptions.ProgressInterval"/>, when
/// the crawl reports progress, <see cref="CrawlerBuilder.ReportProgress"/>); nothing is reported before the first. A shared (Redis) frontier counts
/// the whole crawl, so every worker reports the same figures.</item>
/// </list>
/// <para>With no listener, recording costs one check per measurement.</para>
/// </remarks>
public static class CrawlMetrics
{
    /// <summary>The name of the meter: <c>Trawl</c>.</summary>
    public const string MeterName = "Trawl";

    internal static readonly Meter Meter = new(MeterName, typeof(CrawlMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> PagesFetched = Meter.CreateCounter<long>(
        "trawl.pages.fetched", "{page}", "Responses received, by status class; a retried request counts each answered attempt.");

    internal static readonly Counter<long> PagesCompleted = Meter.CreateCounter<long>(
        "trawl.pages.completed", "{page}", "Requests completed as done: fetched, parsed and committed (the crawl's page count).");

    internal static readonly Counter<long> Items = Meter.CreateCounter<long>("trawl.items", "{item}", "Items committed.");

    internal static readonly Counter<long> RequestsFailed = Meter.CreateCounter<long>(
        "trawl.requests.failed", "{request}", "Requests that failed for good, by error kind.");

    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "trawl.retries", "{request}", "Retries scheduled, by the kind of error that caused them.");

    internal static readonly Counter<long> RequestsSkipped = Meter.CreateCounter<long>(
        "trawl.requests.skipped", "{request}", "Requests skipped on purpose, by kind (robots, offsite, domain_limit, middleware).");

    internal static readonly Counter<long> DownloadedBytes = Meter.CreateCounter<long>(
        "trawl.downloaded.bytes", "By", "Bytes of response bodies received, after content decoding.");

    internal static readonly Histogram<double> DownloadDuration = Meter.CreateHistogram(
        "trawl.download.duration",
        "s",
        "Time of each download attempt, answered or not.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    private static readonly ConcurrentDictionary<StatsCollector, byte> Live = new();

    static CrawlMetrics()
    {
        Meter.CreateObservableGauge("trawl.requests.in_flight", () => Observe(static stats => stats.InFlight), "{request}", "Requests being downloaded or parsed now.");
        Meter.CreateObservableGauge("trawl.frontier.pending", () => Observe(static stats => stats.Frontier?.Pending), "{request}", "Requests pending in the frontier, as of the last progress report.");
        Meter.CreateObservableGauge("trawl.frontier.leased", () => Observe(static stats => stats.Frontier?.InProgress), "{request}", "Requests leased from the frontier, as of the last progress report.");
    }

    /// <summary>Starts reporting a running crawl's gauges.</summary>
    internal static void Track(StatsCollector stats) => Live.TryAdd(stats, 0);

    /// <summary>Stops reporting a crawl's gauges.</summary>
    internal static void Untrack(StatsCollector stats) => Live.TryRemove(stats, out _);

    /// <summary>The tag value of an HTTP status: <c>2xx</c> and so on.</summary>
    internal static string StatusClass(int status) => status switch
    {
        >= 100 and < 200 => "1xx",
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    };

    private static List<Measurement<long>> Observe(Func<StatsCollector, long?> read)
    {
        var measurements = new List<Measurement<long>>(Live.Count);
        foreach (var stats in Live.Keys)
        {
            if (read(stats) is { } value)
            {
                measurements.Add(new Measurement<long>(value, stats.SpiderTag));
            }
        }

        return measurements;
    }
}
