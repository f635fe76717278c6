namespace Trawl.Engine;

/// <summary>One domain of a running crawl, as <see cref="CrawlProgress.Domains"/> reports it.</summary>
public sealed class DomainProgress
{
    /// <summary>The domain: a host name or IP address, lower-case.</summary>
    public required string Domain { get; init; }

    /// <summary>Downloads to the domain that ended per second, over the last progress interval.</summary>
    public required double RequestsPerSecond { get; init; }

    /// <summary>Requests to the domain being downloaded or parsed now.</summary>
    public required int InFlight { get; init; }

    /// <summary>Requests this run has leased for the domain and holds, waiting for the domain's turn.</summary>
    public required int Queued { get; init; }

    /// <summary>
    /// The domain's delay between the starts of two requests now, before randomization: the configured one, or
    /// AutoThrottle's, and never less than robots.txt's <c>Crawl-delay</c>.
    /// </summary>
    public required TimeSpan Delay { get; init; }

    /// <summary>
    /// Downloads to the domain that ended in this run, retries included. In a crawl over more than a thousand domains,
    /// one left idle may be forgotten, and counts from zero when it comes back.
    /// </summary>
    public required long Requests { get; init; }

    /// <summary>Of <see cref="Requests"/>, those that ended in an error (retried or failed).</summary>
    public required long Errors { get; init; }
}
