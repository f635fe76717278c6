using Trawl.Http;

namespace Trawl.Frontier;

/// <summary>
/// The crawl's frontier: the pending queue, the seen set, and the requests in flight. Workers lease
/// requests, then complete each lease with its outcome.
/// </summary>
/// <remarks>
/// <para>Shaped like <see cref="System.Threading.Channels.ChannelReader{T}"/>: <see cref="TryLeaseAsync"/> takes what
/// is ready now, <see cref="WaitToLeaseAsync"/> waits for more or reports that the crawl is exhausted.</para>
/// <para>A lease is held until it is completed, released, or it expires. An expired lease's request goes back to
/// pending, and a late completion of it is rejected, so its items are committed exactly once.</para>
/// <para>Implementations: the in-memory frontier, the SQLite job store, and the Redis frontier.</para>
/// </remarks>
public interface IFrontier : IAsyncDisposable
{
    /// <summary>
    /// Schedules requests. A request whose fingerprint was scheduled before is dropped, unless it has
    /// <see cref="Request.DontFilter"/>. Returns how many were added.
    /// </summary>
    ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken);

    /// <summary>Leases up to <paramref name="max"/> pending requests that are due now, highest priority first.</summary>
    ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until <see cref="TryLeaseAsync"/> may return a request (<see langword="true"/>), or until the frontier
    /// is exhausted: nothing pending and nothing leased (<see langword="false"/>).
    /// </summary>
    ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies a batch of completions atomically: each records its outcome, schedules its discovered requests
    /// (deduplicated) and commits its items. Completions of leases that are no longer held are rejected.
    /// </summary>
    ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken);

    /// <summary>Returns leased requests to pending without counting an attempt, for example on a graceful pause.</summary>
    ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken);

    /// <summary>Extends held leases by the lease duration (the worker's heartbeat).</summary>
    ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken);

    /// <summary>Counts requests by status.</summary>
    ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken);
}
