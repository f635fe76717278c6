using System.Collections.Concurrent;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;

namespace Trawl.Jobs;

/// <summary>
/// The frontier of a job directory (<see cref="JobStore.Frontier"/>): pending queue, seen set, leases and item log,
/// all in <c>job.db</c> and none of it in memory. Every call that changes the frontier is one SQLite transaction.
/// </summary>
/// <remarks>
/// <para><see cref="AddAsync"/> and <see cref="CompleteAsync(IReadOnlyList{Completion}, CancellationToken)"/> commit
/// durably (they wait for the disk), so a batch they return from survives a crash or power cut. Leases, releases and
/// renewals skip that wait: after a crash every in-progress request goes back to pending anyway.</para>
/// <para>A request's attempts count only completed attempts (done, retry, failed). A lease that is released, expires,
/// or is cut short by a crash does not count.</para>
/// <para>Deduplication is by <see cref="Request.Fingerprint"/> against every filtered request ever scheduled. A
/// <see cref="Request.DontFilter"/> request is always scheduled and does not mark its fingerprint as seen.</para>
/// <para>Disposing the frontier disposes its <see cref="JobStore"/>, and the other way round.</para>
/// </remarks>
internal sealed class SqliteFrontier : IFrontier, IItemLog, IReportsLeaseFailures, IItemFailureLog
{
    private readonly ConcurrentQueue<LeaseFailure> _leaseFailures = new();
    private readonly JobStore _store;
    private readonly TimeProvider _time;
    private readonly TimeSpan _leaseDuration;
    private readonly long _tokenBase;
    private readonly StoredFingerprints _stored;
    private long _leaseBatches;
    private TaskCompletionSource _changed = NewSignal();

    internal SqliteFrontier(JobStore store, TimeSpan leaseDuration, long leaseEpoch, int seenCacheSize)
    {
        _stored = new StoredFingerprints(seenCacheSize);
        _store = store;
        _time = store.TimeProvider;
        _leaseDuration = leaseDuration;

        // A lease token is the open's epoch in the high half and a counter in the low half, so a token handed out
        // before a crash never matches a lease taken after it.
        _tokenBase = leaseEpoch << 32;
    }

    /// <summary>The job this frontier belongs to.</summary>
    public JobStore Store => _store;

    /// <inheritdoc />
    public async ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            return 0;
        }

        var unknown = WithoutStored(requests);
        var stored = Serialize(unknown);
        var added = await _store.RunAsync(db => db.Add(stored, NowMs()), cancellationToken).ConfigureAwait(false);
        _stored.AddStored(unknown);
        if (added > 0)
        {
            Signal();
        }

        return added;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var token = _tokenBase + Interlocked.Increment(ref _leaseBatches);
        var unreadable = new List<LeaseFailure>();
        var leases = await _store.RunAsync(
            db =>
            {
                unreadable.Clear();
                var now = _time.GetUtcNow();
                return db.Lease(max, now.ToUnixTimeMilliseconds(), token, ExpiryMs(now), unreadable);
            },
            cancellationToken).ConfigureAwait(false);
        foreach (var failure in unreadable)
        {
            _leaseFailures.Enqueue(failure);
        }

        return leases;
    }

    /// <inheritdoc />
    IReadOnlyList<LeaseFailure>? IReportsLeaseFailures.TakeLeaseFailures()
    {
        if (_leaseFailures.IsEmpty)
        {
            return null;
        }

        var taken = new List<LeaseFailure>();
        while (_leaseFailures.TryDequeue(out var failure))
        {
            taken.Add(failure);
        }

        return taken;
    }

    /// <inheritdoc />
    public async ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the signal before looking, so a change committed after the look cannot be missed.
            var changed = Volatile.Read(ref _changed).Task;
            var readiness = await _store.RunAsync(db => db.GetReadiness(NowMs()), cancellationToken).ConfigureAwait(false);
            if (readiness.Ready)
            {
                return true;
            }

            if (readiness.Exhausted)
            {
                return false;
            }

            if (readiness.WakeAt is not { } wakeAt)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A retry falls due or a lease expires at wakeAt, unless something changes sooner.
            var delay = DateTimeOffset.FromUnixTimeMilliseconds(wakeAt) - _time.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                continue;
            }

            await FrontierWait.ChangeOrDelayAsync(changed, delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) =>
        CompleteAsync(completions, state: null, cancellationToken);

    /// <summary>
    /// Applies a batch of completions in one transaction, and writes <paramref name="state"/> (merged over any state
    /// staged with <see cref="JobStore.SetPendingState"/>) in that same transaction.
    /// </summary>
    /// <exception cref="JobStoreFullException">The disk is full. Nothing of the batch was committed; its leases are still
    /// held and the same batch may be completed again.</exception>
    public async ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, JobStateUpdate? state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var stored = new JobDatabase.StoredCompletion[completions.Count];
        var unknown = new IReadOnlyList<Request>[completions.Count];
        for (var i = 0; i < completions.Count; i++)
        {
            var completion = completions[i] ?? throw new ArgumentException("A completion is null.", nameof(completions));
            unknown[i] = completion.Status is CompletionStatus.Done or CompletionStatus.Failed ? WithoutStored(completion.Discovered) : [];
            stored[i] = new JobDatabase.StoredCompletion(completion, Serialize(unknown[i]));
        }

        var pending = _store.TakePendingState(state);
        if (stored.Length == 0 && pending is null)
        {
            return new CompletionResult([], [], 0);
        }

        CompletionResult result;
        try
        {
            result = await _store.RunAsync(db => db.Complete(stored, pending, NowMs()), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _store.RestorePendingState(pending);
            throw;
        }

        var anyAccepted = false;
        for (var i = 0; i < unknown.Length; i++)
        {
            if (result.Accepted[i])
            {
                anyAccepted = true;
                _stored.AddStored(unknown[i]);
            }
        }

        if (anyAccepted)
        {
            Signal();
        }

        return result;
    }

    /// <inheritdoc />
    /// <remarks>
    /// On a full disk nothing is written and nothing thrown: releasing only hands work back early, and a crawl pausing
    /// because the disk is full must be able to stop. The leases stay in progress, which loses nothing: they go back
    /// to pending when they expire, or when the job is next opened.
    /// </remarks>
    public async ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0)
        {
            return;
        }

        try
        {
            await _store.RunAsync(
                db =>
                {
                    db.Release(leases, NowMs());
                    return 0;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (JobStoreFullException)
        {
            return;
        }

        Signal();
    }

    /// <inheritdoc />
    public async ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leases);
        if (leases.Count == 0 || _leaseDuration == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        await _store.RunAsync(
            db =>
            {
                var now = _time.GetUtcNow();
                db.Renew(leases, now.ToUnixTimeMilliseconds(), ExpiryMs(now) ?? long.MaxValue);
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) =>
        _store.RunAsync(static db => db.GetCounts(), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        return await _store.RunAsync(db => db.ReadItems(afterSequence, max), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        return _store.RunAsync(db => db.GetExportCheckpoint(output), cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        return _store.RunAsync(
            db =>
            {
                db.SetExportCheckpoint(output, checkpoint);
                return 0;
            },
            cancellationToken).AsNonGeneric();
    }

    /// <inheritdoc />
    ValueTask IItemFailureLog.RecordItemFailuresAsync(IReadOnlyList<ItemFailure> failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failures);
        return _store.RunAsync(
            db =>
            {
                db.RecordItemFailures(failures, NowMs());
                return 0;
            },
            cancellationToken).AsNonGeneric();
    }

    /// <summary>Closes the job: the same as disposing <see cref="Store"/>.</summary>
    public ValueTask DisposeAsync() => _store.DisposeAsync();

    /// <summary>
    /// Whether adding this request would certainly be ignored: its fingerprint is durably in the job's seen set. A
    /// caller may drop such a request early, for example before holding it in a batch; a <see langword="false"/> says
    /// nothing. Always <see langword="false"/> for a <see cref="Request.DontFilter"/> request.
    /// </summary>
    internal bool IsStored(Request request) => _stored.Contains(request);

    /// <summary>For tests: how many fingerprints the seen cache holds.</summary>
    internal int SeenCacheCount => _stored.Count;

    /// <summary>Wakes every <see cref="WaitToLeaseAsync"/> to look again.</summary>
    internal void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static JobDatabase.StoredRequest[] Serialize(IReadOnlyList<Request> requests)
    {
        // Serialized before the transaction: a request whose meta cannot be stored fails the call before anything is written.
        var stored = new JobDatabase.StoredRequest[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            stored[i] = JobDatabase.StoredRequest.From(requests[i] ?? throw new ArgumentException("A request is null.", nameof(requests)));
        }

        return stored;
    }

    // Requests the store certainly has are left out: serializing them and asking SQLite to ignore them costs more
    // than everything else a duplicate link costs (BENCHMARKS.md, "Optimizations (issue 6)").
    private IReadOnlyList<Request> WithoutStored(IReadOnlyList<Request> requests)
    {
        List<Request>? kept = null;
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i] ?? throw new ArgumentException("A request is null.", nameof(requests));
            if (_stored.Contains(request) && !Sitemaps.SitemapRequests.MayRefetch(request))
            {
                if (kept is null)
                {
                    kept = new List<Request>(requests.Count - 1);
                    for (var j = 0; j < i; j++)
                    {
                        kept.Add(requests[j]);
                    }
                }
            }
            else
            {
                kept?.Add(request);
            }
        }

        return kept ?? requests;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private long? ExpiryMs(DateTimeOffset now) =>
        _leaseDuration == Timeout.InfiniteTimeSpan || _leaseDuration >= DateTimeOffset.MaxValue - now
            ? null
            : (now + _leaseDuration).ToUnixTimeMilliseconds();
}
