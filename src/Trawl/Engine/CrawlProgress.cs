using Trawl.Crawling;

namespace Trawl.Engine;

/// <summary>A live view of a running crawl, reported every <see cref="CrawlOptions.ProgressInterval"/>.</summary>
public sealed class CrawlProgress
{
    /// <summary>The counters so far.</summary>
    public required CrawlStats Stats { get; init; }

    /// <summary>
    /// Requests waiting to be fetched: pending in the frontier, and those this crawl has leased ahead but not started (a
    /// durable job leases up to 2,048 ahead, which the frontier counts as in progress).
    /// </summary>
    public required long Queued { get; init; }

    /// <summary>Requests being downloaded or parsed now.</summary>
    public required int InFlight { get; init; }

    /// <summary>Pages per second over the last interval.</summary>
    public required double CurrentPagesPerSecond { get; init; }

    /// <summary>Whether a graceful pause has been requested and in-flight requests are draining.</summary>
    public required bool Stopping { get; init; }

    /// <summary>Bytes of response bodies received per second over the last interval (<see cref="CrawlStats.BytesDownloaded"/>).</summary>
    public double CurrentBytesPerSecond { get; init; }

    /// <summary>
    /// The busiest domains now, busiest first (by requests per second, then requests in flight, then queued): at most
    /// <see cref="MaxDomains"/>, and only domains with something going on. Taken by the dispatch loop once an interval,
    /// not on every page; empty in the final report.
    /// </summary>
    public IReadOnlyList<DomainProgress> Domains { get; init; } = [];

    /// <summary>
    /// How long the crawl may still take, when the work left is bounded: by <see cref="CrawlOptions.Limit"/>, or by the
    /// frontier once discovery has stopped (no new request was scheduled over the last ten seconds while requests
    /// completed; not for a frontier given with <see cref="CrawlerBuilder.UseFrontier"/>, which other workers may share).
    /// Estimated from the rate over the last half minute; <see langword="null"/> when the work left is not bounded or
    /// nothing has completed lately.
    /// </summary>
    public TimeSpan? EstimatedTimeLeft { get; init; }

    /// <summary>The most domains <see cref="Domains"/> holds.</summary>
    public const int MaxDomains = 10;
}
