using Trawl.Http;

namespace Trawl.Frontier;

/// <summary>
/// A frontier held in memory: fast, and lost when the process ends. The default when a crawl has no job directory.
/// </summary>
/// <remarks>
/// Holds every pending request and every fingerprint seen, so its memory grows with the crawl; use a job
/// directory (SQLite) for large or long crawls.
/// </remarks>
internal sealed class MemoryFrontier : IFrontier
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _leaseDuration;
    private readonly HashSet<RequestFingerprint> _seen = [];
    private readonly PriorityQueue<Entry, (int Priority, long Order)> _pending = new();
    private readonly PriorityQueue<Entry, DateTimeOffset> _delayed = new();
    private readonly Dictionary<long, Entry> _leased = [];
    private TaskCompletionSource _changed = NewSignal();
    private long _nextId;
    private long _nextToken;
    private long _nextItem;
    private long _done;
    private long _failed;
    private long _skipped;

    /// <summary>Creates an empty in-memory frontier.</summary>
    /// <param name="timeProvider">The clock for retries and lease expiry; <see langword="null"/> for the system clock.</param>
    /// <param name="leaseDuration">How long a lease lasts unless renewed; <see langword="null"/> for no expiry.</param>
    public MemoryFrontier(TimeProvider? timeProvider = null, TimeSpan? leaseDuration = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _leaseDuration = leaseDuration ?? Timeout.InfiniteTimeSpan;
    }

    /// <inheritdoc />
    public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        int added;
        lock (_gate)
        {
            added = AddLocked(requests);
            if (added > 0)
            {
                SignalLocked();
            }
        }

        return new ValueTask<int>(added);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var now = _time.GetUtcNow();
        List<Lease>? leases = null;
        lock (_gate)
        {
            PromoteLocked(now);
            while (leases is null || leases.Count < max)
            {
                if (!_pending.TryDequeue(out var entry, out _))
                {
                    break;
                }

                entry.Attempts++;
                entry.Token = ++_nextToken;
                entry.ExpiresAt = ExpiryFrom(now);
                _leased.Add(entry.Id, entry);
                (leases ??= []).Add(new Lease(entry.Id, entry.Token, entry.Request, entry.Attempts, entry.ExpiresAt));
            }
        }

        return new ValueTask<IReadOnlyList<Lease>>(leases ?? (IReadOnlyList<Lease>)[]);
    }

    /// <inheritdoc />
    public async ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            TimeSpan wait;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                PromoteLocked(now);
                if (_pending.Count > 0)
                {
                    return true;
                }

                if (_leased.Count == 0 && _delayed.Count == 0)
                {
                    return false;
                }

                changed = _changed.Task;
                wait = NextWakeLocked(now);
            }

            if (wait == Timeout.InfiniteTimeSpan)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await FrontierWait.ChangeOrDelayAsync(changed, wait, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var accepted = new bool[completions.Count];
        var items = new List<CommittedItem>();
        var added = 0;
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            for (var i = 0; i < completions.Count; i++)
            {
                var completion = completions[i];
                if (!TryGetHeldLocked(completion.Lease, now, out var entry))
                {
                    continue;
                }

                accepted[i] = true;
                _leased.Remove(entry.Id);
                switch (completion.Status)
                {
                    case CompletionStatus.Done:
                        _done++;
                        added += AddLocked(completion.Discovered);
                        foreach (var item in completion.Items)
                        {
                            items.Add(new CommittedItem(++_nextItem, item));
                        }

                        break;
                    case CompletionStatus.Retry:
                        _delayed.Enqueue(entry, completion.RetryAt);
                        break;
                    case CompletionStatus.Failed:
                        _failed++;
                        added += AddLocked(completion.Discovered);
                        foreach (var item in completion.Items)
                        {
                            items.Add(new CommittedItem(++_nextItem, item));
                        }

                        break;
                    case CompletionStatus.Skipped:
                        _skipped++;
                        break;
                }
            }

            SignalLocked();
        }

        return new ValueTask<CompletionResult>(new CompletionResult(accepted, items, added));
    }

    /// <inheritdoc />
    public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        lock (_gate)
        {
            foreach (var lease in leases)
            {
                if (_leased.TryGetValue(lease.EntryId, out var entry) && entry.Token == lease.Token)
                {
                    _leased.Remove(entry.Id);
                    entry.Attempts--;
                    _pending.Enqueue(entry, (-entry.Request.Priority, entry.Id));
                }
            }

            SignalLocked();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        var now = _time.GetUtcNow();
        var expiresAt = ExpiryFrom(now);
        lock (_gate)
        {
            foreach (var lease in leases)
            {
                if (TryGetHeldLocked(lease, now, out var entry))
                {
                    entry.ExpiresAt = expiresAt;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return new ValueTask<FrontierCounts>(new FrontierCounts(_pending.Count + _delayed.Count, _leased.Count, _done, _failed, _skipped));
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // A lease is held while its token matches and it has not expired, whether or not expiry has been noticed yet.
    private bool TryGetHeldLocked(Lease lease, DateTimeOffset now, out Entry entry) =>
        _leased.TryGetValue(lease.EntryId, out entry!) && entry.Token == lease.Token && entry.ExpiresAt > now;

    private int AddLocked(IReadOnlyList<Request> requests)
    {
        var added = 0;
        foreach (var request in requests)
        {
            if (!_seen.Add(request.Fingerprint) && !request.DontFilter)
            {
                continue;
            }

            var entry = new Entry(++_nextId, request);
            _pending.Enqueue(entry, (-request.Priority, entry.Id));
            added++;
        }

        return added;
    }

    // Moves due retries to pending and takes back leases that expired.
    private void PromoteLocked(DateTimeOffset now)
    {
        while (_delayed.TryPeek(out var entry, out var due) && due <= now)
        {
            _delayed.Dequeue();
            _pending.Enqueue(entry, (-entry.Request.Priority, entry.Id));
        }

        if (_leaseDuration == Timeout.InfiniteTimeSpan || _leased.Count == 0)
        {
            return;
        }

        List<Entry>? expired = null;
        foreach (var entry in _leased.Values)
        {
            if (entry.ExpiresAt <= now)
            {
                (expired ??= []).Add(entry);
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (var entry in expired)
        {
            _leased.Remove(entry.Id);
            entry.Token = 0;
            _pending.Enqueue(entry, (-entry.Request.Priority, entry.Id));
        }
    }

    private TimeSpan NextWakeLocked(DateTimeOffset now)
    {
        var next = DateTimeOffset.MaxValue;
        if (_delayed.TryPeek(out _, out var due))
        {
            next = due;
        }

        if (_leaseDuration != Timeout.InfiniteTimeSpan)
        {
            foreach (var entry in _leased.Values)
            {
                if (entry.ExpiresAt < next)
                {
                    next = entry.ExpiresAt;
                }
            }
        }

        return next == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : next <= now ? TimeSpan.Zero : next - now;
    }

    private DateTimeOffset ExpiryFrom(DateTimeOffset now) =>
        _leaseDuration == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : now + _leaseDuration;

    private void SignalLocked()
    {
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private sealed class Entry(long id, Request request)
    {
        public long Id { get; } = id;

        public Request Request { get; } = request;

        public int Attempts { get; set; }

        public long Token { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }
    }
}
