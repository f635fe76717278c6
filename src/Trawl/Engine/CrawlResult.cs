using Trawl.Crawling;
using Trawl.Items;

namespace Trawl.Engine;

/// <summary>How a crawl run ended.</summary>
public sealed class CrawlResult
{
    /// <summary>
    /// <see langword="true"/> when the run stopped before the frontier was exhausted: paused by a signal or the
    /// cancellation token, or aborted. A durable job can be resumed.
    /// </summary>
    public required bool Paused { get; init; }

    /// <summary>Why the run stopped early, when <see cref="Paused"/> is set; otherwise <see langword="null"/>.</summary>
    public string? PauseReason { get; init; }

    /// <summary>The error that stopped the run, such as a full disk, or <see langword="null"/>. A durable job stays resumable.</summary>
    public string? Error { get; init; }

    /// <summary>The exception behind <see cref="Error"/>, for a caller that acts on its kind, or <see langword="null"/>.</summary>
    public Exception? Failure { get; init; }

    /// <summary>
    /// Whether the run went to its end with nothing crawled because its start requests failed: a start request failed
    /// (a dead host, a name that does not resolve, an error status) and no page of the crawl is done, in this run or an
    /// earlier one of its job or shared crawl. The command line exits with its own code for it.
    /// </summary>
    public bool EveryStartRequestFailed { get; init; }

    /// <summary>Whether a page or item limit ended the run.</summary>
    public bool LimitReached { get; init; }

    /// <summary>The run's counters.</summary>
    public required CrawlStats Stats { get; init; }

    /// <summary>
    /// The items, after pipelines, when no exporter was configured. Holds at most
    /// <see cref="CrawlOptions.MaxResultItems"/> items; <see cref="ItemList.Truncated"/> tells whether more were dropped.
    /// Empty when an exporter was configured.
    /// </summary>
    public required ItemList Items { get; init; }

    /// <summary>The job directory of a durable crawl while it still exists (a finished job's is removed unless kept), or <see langword="null"/>.</summary>
    public string? JobDirectory { get; init; }
}
