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
}
