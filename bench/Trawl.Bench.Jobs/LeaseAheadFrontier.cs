using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Bench.Jobs;

/// <summary>
/// An experiment, not a product feature: leases at least <c>ahead</c> requests from the wrapped frontier at a time and
/// hands them out from memory, so the engine's dispatch loop reaches the database once every few calls instead of at
/// every call. Requests leased ahead are released when the frontier is disposed. Used by <c>crawl --lease-ahead</c> to
/// check how much of a durable crawl's slowdown is its dispatch loop waiting for leases behind commits.
/// </summary>
internal class LeaseAheadFrontier(IFrontier inner, int ahead) : IFrontier
{
    private readonly Queue<Lease> _ahead = new();
    private readonly Lock _gate = new();

    protected IFrontier Inner => inner;

    public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken) => inner.AddAsync(requests, cancellationToken);

    public async ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ahead.Count > 0)
            {
                return Take(max);
            }
        }

        var leased = await inner.TryLeaseAsync(Math.Max(max, ahead), cancellationToken);
        lock (_gate)
        {
            foreach (var lease in leased)
            {
                _ahead.Enqueue(lease);
            }

            return Take(max);
        }
    }

    public ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_ahead.Count > 0)
            {
                return ValueTask.FromResult(true);
            }
        }

        return inner.WaitToLeaseAsync(cancellationToken);
    }

    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) =>
        inner.CompleteAsync(completions, cancellationToken);

    public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => inner.ReleaseAsync(leases, cancellationToken);

    public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => inner.RenewAsync(leases, cancellationToken);

    public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) => inner.GetCountsAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Lease[] unused;
        lock (_gate)
        {
            unused = [.. _ahead];
            _ahead.Clear();
        }

        if (unused.Length > 0)
        {
            await inner.ReleaseAsync(unused, CancellationToken.None);
        }

        await inner.DisposeAsync();
    }

    private List<Lease> Take(int max)
    {
        var taken = new List<Lease>(Math.Min(max, _ahead.Count));
        while (taken.Count < max && _ahead.TryDequeue(out var lease))
        {
            taken.Add(lease);
        }

        return taken;
    }
}

/// <summary>A <see cref="LeaseAheadFrontier"/> over a durable frontier, which stays durable to the engine.</summary>
internal sealed class LeaseAheadDurableFrontier<T>(T inner, int ahead) : LeaseAheadFrontier(inner, ahead), IItemLog
    where T : IFrontier, IItemLog
{
    public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken) =>
        inner.ReadItemsAsync(afterSequence, max, cancellationToken);

    public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken) =>
        inner.GetExportCheckpointAsync(output, cancellationToken);

    public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken) =>
        inner.SetExportCheckpointAsync(output, checkpoint, cancellationToken);
}
