using Trawl.Http;

namespace Trawl.Frontier;

/// <summary>How a leased request ended.</summary>
public enum CompletionStatus
{
    /// <summary>Fetched and parsed. Its discovered requests and items are committed.</summary>
    Done,

    /// <summary>Failed for a reason worth retrying; goes back to pending, due at <see cref="Completion.RetryAt"/>.</summary>
    Retry,

    /// <summary>Failed for good (attempts exhausted, or not retryable).</summary>
    Failed,

    /// <summary>Not fetched on purpose (for example disallowed by robots.txt or out of scope).</summary>
    Skipped,
}

/// <summary>The outcome of one lease, applied by <see cref="IFrontier.CompleteAsync"/>.</summary>
public sealed class Completion
{
    private Completion(Lease lease, CompletionStatus status)
    {
        Lease = lease;
        Status = status;
    }

    /// <summary>The lease being completed.</summary>
    public Lease Lease { get; }

    /// <summary>How the request ended.</summary>
    public CompletionStatus Status { get; }

    /// <summary>
    /// Requests found while parsing (for <see cref="CompletionStatus.Done"/>), or yielded by the request's error callback
    /// (for <see cref="CompletionStatus.Failed"/>); empty otherwise. A frontier schedules them with the completion.
    /// </summary>
    public IReadOnlyList<Request> Discovered { get; private init; } = [];

    /// <summary>
    /// Items produced, each as UTF-8 JSON: by the callback (for <see cref="CompletionStatus.Done"/>), or by the error
    /// callback (for <see cref="CompletionStatus.Failed"/>); empty otherwise. A frontier commits them with the completion.
    /// </summary>
    public IReadOnlyList<byte[]> Items { get; private init; } = [];

    /// <summary>
    /// Requests found while parsing that were scheduled before the completion, in batches while the callback ran (a page
    /// with thousands of links): not in <see cref="Discovered"/>.
    /// </summary>
    internal int ScheduledEarly { get; private init; }

    /// <summary>The HTTP status of the response, when there was one.</summary>
    public int? HttpStatus { get; private init; }

    /// <summary>A short error kind such as <c>timeout</c>, <c>dns</c> or <c>http_503</c>, for failures, retries and skips.</summary>
    public string? ErrorKind { get; private init; }

    /// <summary>A human-readable error message, for failures, retries and skips.</summary>
    public string? Error { get; private init; }

    /// <summary>When a retried request becomes due again.</summary>
    public DateTimeOffset RetryAt { get; private init; }

    /// <summary>
    /// The validators of the response, stored with a done request so a re-crawl can ask for the page conditionally.
    /// </summary>
    internal PageValidators Validators { get; private init; }

    /// <summary>What a conditional re-fetch found, for a request leased with validators.</summary>
    internal RecrawlOutcome Recrawl { get; private init; }

    /// <summary>The request was fetched and parsed.</summary>
    public static Completion Done(Lease lease, int httpStatus, IReadOnlyList<Request> discovered, IReadOnlyList<byte[]> items) =>
        new(lease, CompletionStatus.Done) { HttpStatus = httpStatus, Discovered = discovered, Items = items };

    /// <summary>
    /// The request was fetched and parsed, <paramref name="scheduledEarly"/> of its requests already scheduled; the
    /// response's <paramref name="validators"/> are kept for a re-crawl. A lease that carried validators counts as changed.
    /// </summary>
    internal static Completion Done(Lease lease, int httpStatus, IReadOnlyList<Request> discovered, IReadOnlyList<byte[]> items, int scheduledEarly, PageValidators validators) =>
        new(lease, CompletionStatus.Done)
        {
            HttpStatus = httpStatus, Discovered = discovered, Items = items, ScheduledEarly = scheduledEarly, Validators = validators,
            Recrawl = lease.Validators is null ? RecrawlOutcome.None : RecrawlOutcome.Changed,
        };

    /// <summary>
    /// A conditional re-fetch was answered <c>304 Not Modified</c>: the page is done again without being parsed, keeping
    /// <paramref name="validators"/>, with nothing discovered and no item.
    /// </summary>
    internal static Completion Unchanged(Lease lease, PageValidators validators) =>
        new(lease, CompletionStatus.Done) { HttpStatus = 304, Validators = validators, Recrawl = RecrawlOutcome.Unchanged };

    /// <summary>The request failed and is retried at <paramref name="retryAt"/>.</summary>
    public static Completion Retry(Lease lease, string errorKind, string error, DateTimeOffset retryAt, int? httpStatus = null) =>
        new(lease, CompletionStatus.Retry) { ErrorKind = errorKind, Error = error, RetryAt = retryAt, HttpStatus = httpStatus };

    /// <summary>The request failed for good.</summary>
    public static Completion Failed(Lease lease, string errorKind, string error, int? httpStatus = null) =>
        new(lease, CompletionStatus.Failed) { ErrorKind = errorKind, Error = error, HttpStatus = httpStatus };

    /// <summary>The request failed for good, and its error callback yielded <paramref name="discovered"/> and <paramref name="items"/>.</summary>
    internal static Completion Failed(Lease lease, string errorKind, string error, int? httpStatus, IReadOnlyList<Request> discovered, IReadOnlyList<byte[]> items) =>
        new(lease, CompletionStatus.Failed) { ErrorKind = errorKind, Error = error, HttpStatus = httpStatus, Discovered = discovered, Items = items };

    /// <summary>The request was skipped on purpose.</summary>
    public static Completion Skipped(Lease lease, string reasonKind, string reason) =>
        new(lease, CompletionStatus.Skipped) { ErrorKind = reasonKind, Error = reason };
}

/// <summary>What a conditional re-fetch of a kept job's page found.</summary>
internal enum RecrawlOutcome
{
    /// <summary>Not a conditional re-fetch.</summary>
    None,

    /// <summary>Answered <c>304 Not Modified</c>.</summary>
    Unchanged,

    /// <summary>Answered in full: the page changed, and was parsed again.</summary>
    Changed,
}

/// <summary>What <see cref="IFrontier.CompleteAsync"/> committed.</summary>
/// <param name="Accepted">For each completion, in order, whether its lease was still held and it was applied.</param>
/// <param name="Items">The committed items, in commit order, with their sequence numbers.</param>
/// <param name="Added">How many discovered requests were new and scheduled.</param>
public sealed record CompletionResult(IReadOnlyList<bool> Accepted, IReadOnlyList<CommittedItem> Items, int Added);

/// <summary>An item committed to the frontier.</summary>
/// <param name="Sequence">Its position in the crawl's item log, increasing from 1.</param>
/// <param name="Json">The item as UTF-8 JSON.</param>
public readonly record struct CommittedItem(long Sequence, byte[] Json);

/// <summary>Requests counted by status.</summary>
public sealed record FrontierCounts(long Pending, long InProgress, long Done, long Failed, long Skipped)
{
    /// <summary>All requests ever scheduled.</summary>
    public long Total => Pending + InProgress + Done + Failed + Skipped;
}
