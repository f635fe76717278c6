using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;

namespace Trawl.Cli.Hosting;

/// <summary>
/// A worker's view of a crawl shared on Redis. It is the Redis frontier, except that "finished" (nothing pending,
/// delayed, leased or seeded) must last <c>idleTimeout</c> before the worker believes it, since a new seed may still
/// bring work; with <c>wait</c>, the worker never believes it and waits for seeds. While it waits it sleeps on the
/// crawl's pub/sub signal, with a slow safety poll (<see cref="RedisFrontier.WaitToLeaseAsync(TimeSpan, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// The item log is the Redis frontier's, scoped to this worker's share when it writes its own output
/// (<see cref="RedisFrontierOptions.ItemShare"/>): a worker's <c>-o</c> file replays only items it committed.
/// </remarks>
internal sealed class ClusterWorkerFrontier(RedisFrontier redis, TimeSpan idleTimeout, bool wait) : IFrontier, IItemLog, IExpiringLeases, IPausableFrontier
{
    public RedisFrontier Redis => redis;

    public TimeSpan LeaseDuration => redis.LeaseDuration;

    /// <summary>Whether <c>trawl pause</c> paused the cluster: the engine then finishes what is in flight and waits.</summary>
    public bool IsPaused => redis.IsPaused;

    public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken) => redis.AddAsync(requests, cancellationToken);

    public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken) => redis.TryLeaseAsync(max, cancellationToken);

    public ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken) =>
        redis.WaitToLeaseAsync(wait ? Timeout.InfiniteTimeSpan : idleTimeout, cancellationToken);

    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) => redis.CompleteAsync(completions, cancellationToken);

    public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => redis.ReleaseAsync(leases, cancellationToken);

    public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => redis.RenewAsync(leases, cancellationToken);

    public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) => redis.GetCountsAsync(cancellationToken);

    public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken) => redis.ReadItemsAsync(afterSequence, max, cancellationToken);

    public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken) => redis.GetExportCheckpointAsync(output, cancellationToken);

    public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken) => redis.SetExportCheckpointAsync(output, checkpoint, cancellationToken);

    // The Redis frontier is owned by the runner, which disposes it after the crawl.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
