using System.Diagnostics;
using Trawl.Frontier;

namespace Trawl.Bench.Jobs;

/// <summary>
/// Wraps a frontier and adds up the time its callers spend in each call, measured from the caller's side: a call
/// that waits for another to finish (the job store runs one database call at a time) counts its wait too.
/// </summary>
internal class TimedFrontier(IFrontier inner) : IFrontier
{
    public CallTime Add { get; } = new();

    public CallTime Lease { get; } = new();

    public CallTime WaitToLease { get; } = new();

    public CallTime Complete { get; } = new();

    protected IFrontier Inner => inner;

    public async ValueTask<int> AddAsync(IReadOnlyList<Trawl.Http.Request> requests, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.AddAsync(requests, cancellationToken);
        }
        finally
        {
            Add.Record(start);
        }
    }

    public async ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.TryLeaseAsync(max, cancellationToken);
        }
        finally
        {
            Lease.Record(start);
        }
    }

    public async ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.WaitToLeaseAsync(cancellationToken);
        }
        finally
        {
            WaitToLease.Record(start);
        }
    }

    public async ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            return await inner.CompleteAsync(completions, cancellationToken);
        }
        finally
        {
            Complete.Record(start);
        }
    }

    public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => inner.ReleaseAsync(leases, cancellationToken);

    public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => inner.RenewAsync(leases, cancellationToken);

    public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) => inner.GetCountsAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>The calls of one kind: how many, their total time and the longest.</summary>
    internal sealed class CallTime
    {
        private long _calls;
        private long _ticks;
        private long _maxTicks;

        public long Calls => Interlocked.Read(ref _calls);

        public TimeSpan Total => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

        public TimeSpan Max => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _maxTicks));

        public void Record(long start)
        {
            var ticks = Stopwatch.GetTimestamp() - start;
            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _ticks, ticks);
            var max = Interlocked.Read(ref _maxTicks);
            while (ticks > max)
            {
                var seen = Interlocked.CompareExchange(ref _maxTicks, ticks, max);
                if (seen == max)
                {
                    break;
                }

                max = seen;
            }
        }
    }
}

/// <summary>A <see cref="TimedFrontier"/> over a durable frontier: the engine treats a frontier that is also an item log as durable.</summary>
internal sealed class TimedDurableFrontier<T>(T inner) : TimedFrontier(inner), IItemLog
    where T : IFrontier, IItemLog
{
    public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken) =>
        inner.ReadItemsAsync(afterSequence, max, cancellationToken);

    public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken) =>
        inner.GetExportCheckpointAsync(output, cancellationToken);

    public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken) =>
        inner.SetExportCheckpointAsync(output, checkpoint, cancellationToken);
}
