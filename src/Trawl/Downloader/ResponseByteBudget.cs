namespace Trawl.Downloader;

/// <summary>
/// A crawl's budget of response bytes in flight: the bodies being downloaded, and those downloaded whose pages are
/// still being parsed. Each request opens a <see cref="Share"/>; the downloader reserves bytes through it as a body
/// arrives, waiting while the budget is used, and the share gives them back when its request is done with.
/// </summary>
/// <remarks>
/// <para>A reservation that fits is granted at once, unless an earlier one is waiting: waiters are served in the
/// order their requests started (the order their shares were opened), so a large body is not starved by a stream of
/// small ones.</para>
/// <para>Small bodies have a lane of their own beside the budget (<see cref="SmallBodyLane"/>, an eighth of it): a
/// share whose bytes stay within <see cref="SmallBody"/> may take them from the lane when the budget has no room for
/// them now, or an earlier, larger body waits for room. Without it, every page behind a large body waiting for room
/// would wait too, for as long as the pages holding the budget take to be parsed. The lane's bytes are not the
/// budget's, so small bodies passing never delay a large one.</para>
/// <para>The budget never deadlocks. When every request holding part of it is itself waiting for more (none can give
/// anything back), the first waiter is granted whatever the budget says, and the others wait until it is done: a body
/// larger than the whole budget proceeds, alone. The bytes in use therefore stay within the budget, plus the small
/// bodies' lane, plus one body.</para>
/// </remarks>
internal sealed class ResponseByteBudget
{
    private readonly Lock _gate = new();

    // Waiting reservations, ordered by their share's Order.
    private readonly List<Waiter> _waiting = [];

    // Shares holding bytes.
    private readonly HashSet<Share> _holders = [];
    private long _inUse;
    private long _inLane;
    private long _opened;

    /// <summary>
    /// Creates a budget of <paramref name="limit"/> bytes, with a lane for small bodies of an eighth of it beside, for
    /// bodies of up to a sixteenth of it or 256 KiB, whichever is less.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive.</exception>
    public ResponseByteBudget(long limit)
        : this(limit, smallBody: Math.Min(256 * 1024, limit / 16), smallBodyLane: limit / 8)
    {
    }

    /// <summary>Creates a budget of <paramref name="limit"/> bytes, with a lane of <paramref name="smallBodyLane"/> bytes for bodies of up to <paramref name="smallBody"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive, or a lane figure is negative.</exception>
    public ResponseByteBudget(long limit, long smallBody, long smallBodyLane)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfNegative(smallBody);
        ArgumentOutOfRangeException.ThrowIfNegative(smallBodyLane);
        Limit = limit;
        SmallBody = smallBody;
        SmallBodyLane = smallBodyLane;
    }

    /// <summary>The bytes the budget allows in flight.</summary>
    public long Limit { get; }

    /// <summary>The most bytes a share may hold and still take them from the small bodies' lane.</summary>
    public long SmallBody { get; }

    /// <summary>The bytes of small bodies the lane beside the budget allows in flight.</summary>
    public long SmallBodyLane { get; }

    /// <summary>The bytes reserved now in the budget; above <see cref="Limit"/> only while a body that did not fit proceeds alone.</summary>
    public long InUse
    {
        get
        {
            lock (_gate)
            {
                return _inUse;
            }
        }
    }

    /// <summary>The bytes reserved now in the small bodies' lane.</summary>
    public long InLane
    {
        get
        {
            lock (_gate)
            {
                return _inLane;
            }
        }
    }

    /// <summary>How many reservations are waiting now.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Opens the share of one request. Dispose it when the request's response is done with.</summary>
    public Share Open() => new(this, Interlocked.Increment(ref _opened));

    private bool TryReserve(Share share, long bytes)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(share.Disposed, share);
            if (_waiting.Count == 0 && _inUse + bytes <= Limit)
            {
                Grant(share, bytes);
                return true;
            }

            return TryGrantInLane(share, bytes);
        }
    }

    // Null when granted at once; otherwise the waiter, granted already when its arrival let the budget move on.
    private Waiter? Reserve(Share share, long bytes)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(share.Disposed, share);
            if (_waiting.Count == 0 && _inUse + bytes <= Limit)
            {
                Grant(share, bytes);
                return null;
            }

            if (TryGrantInLane(share, bytes))
            {
                return null;
            }

            var waiter = new Waiter(share, bytes);
            var at = _waiting.Count;
            while (at > 0 && _waiting[at - 1].Share.Order > share.Order)
            {
                at--;
            }

            _waiting.Insert(at, waiter);
            share.IsWaiting = true;
            Pump();
            return waiter;
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_waiting.Remove(waiter))
            {
                return;
            }

            waiter.Share.IsWaiting = false;
            waiter.TrySetCanceled(cancellationToken);
            Pump();
        }
    }

    private void GiveBack(Share share, long keep)
    {
        lock (_gate)
        {
            var excess = share.HeldBytes + share.LaneBytes - keep;
            if (excess <= 0)
            {
                return;
            }

            // The lane's bytes go back first: what the share keeps is then the budget's, as if it had grown there.
            var fromLane = Math.Min(excess, share.LaneBytes);
            share.LaneBytes -= fromLane;
            _inLane -= fromLane;
            share.HeldBytes -= excess - fromLane;
            _inUse -= excess - fromLane;
            if (share.HeldBytes == 0)
            {
                _holders.Remove(share);
            }

            Pump();
        }
    }

    private void Close(Share share)
    {
        lock (_gate)
        {
            if (share.Disposed)
            {
                return;
            }

            share.Disposed = true;
            for (var i = 0; i < _waiting.Count; i++)
            {
                if (_waiting[i].Share == share)
                {
                    var waiter = _waiting[i];
                    _waiting.RemoveAt(i);
                    waiter.TrySetException(new ObjectDisposedException(nameof(Share), "The share was disposed while it waited."));
                    break;
                }
            }

            share.IsWaiting = false;
            _inUse -= share.HeldBytes;
            _inLane -= share.LaneBytes;
            share.HeldBytes = 0;
            share.LaneBytes = 0;
            _holders.Remove(share);
            Pump();
        }
    }

    private void Grant(Share share, long bytes)
    {
        share.HeldBytes += bytes;
        _inUse += bytes;
        _holders.Add(share);
    }

    private bool TryGrantInLane(Share share, long bytes)
    {
        if (share.HeldBytes + share.LaneBytes + bytes > SmallBody || _inLane + bytes > SmallBodyLane)
        {
            return false;
        }

        share.LaneBytes += bytes;
        _inLane += bytes;
        return true;
    }

    // Grants the waiters in order while they fit, or while nothing that holds bytes can give any back; then the small
    // ones further back that the lane has room for.
    private void Pump()
    {
        while (_waiting.Count > 0)
        {
            var first = _waiting[0];
            if (_inUse + first.Bytes > Limit && AnyHolderRunning())
            {
                break;
            }

            _waiting.RemoveAt(0);
            first.Share.IsWaiting = false;
            Grant(first.Share, first.Bytes);
            first.TrySetResult();
        }

        for (var i = 0; i < _waiting.Count && _inLane < SmallBodyLane; i++)
        {
            var waiter = _waiting[i];
            if (TryGrantInLane(waiter.Share, waiter.Bytes))
            {
                _waiting.RemoveAt(i--);
                waiter.Share.IsWaiting = false;
                waiter.TrySetResult();
            }
        }
    }

    // A holder that is not waiting is downloading or being parsed, and gives its bytes back when it is done.
    private bool AnyHolderRunning()
    {
        foreach (var holder in _holders)
        {
            if (!holder.IsWaiting)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One request's part of the budget: what it reserved, given back when it is disposed.</summary>
    internal sealed class Share : IDisposable
    {
        private readonly ResponseByteBudget _budget;

        internal Share(ResponseByteBudget budget, long order)
        {
            _budget = budget;
            Order = order;
        }

        /// <summary>The bytes this share holds, in the budget and in the small bodies' lane.</summary>
        public long Held
        {
            get
            {
                lock (_budget._gate)
                {
                    return HeldBytes + LaneBytes;
                }
            }
        }

        internal long Order { get; }

        // The fields below are read and written under the budget's lock only.
        // Bytes held in the budget.
        internal long HeldBytes { get; set; }

        // Bytes held in the small bodies' lane.
        internal long LaneBytes { get; set; }

        internal bool IsWaiting { get; set; }

        internal bool Disposed { get; set; }

        /// <summary>Reserves <paramref name="bytes"/> more if they fit now, without waiting.</summary>
        /// <exception cref="ObjectDisposedException">The share was disposed.</exception>
        public bool TryReserve(long bytes) => bytes <= 0 || _budget.TryReserve(this, bytes);

        /// <summary>Reserves <paramref name="bytes"/> more, waiting until the budget grants them.</summary>
        /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while it waited; nothing was reserved.</exception>
        /// <exception cref="ObjectDisposedException">The share was disposed.</exception>
        public async ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken)
        {
            if (bytes <= 0)
            {
                return;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (_budget.Reserve(this, bytes) is not { } waiter)
            {
                return;
            }

            if (!waiter.Task.IsCompleted)
            {
                await using (cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (budget, waiting) = ((ResponseByteBudget, Waiter))state!;
                    budget.Cancel(waiting, token);
                }, (_budget, waiter)).ConfigureAwait(false))
                {
                    await waiter.Task.ConfigureAwait(false);
                }

                return;
            }

            await waiter.Task.ConfigureAwait(false);
        }

        /// <summary>Gives back what this share holds above <paramref name="keep"/> bytes.</summary>
        public void Trim(long keep) => _budget.GiveBack(this, Math.Max(0, keep));

        /// <summary>Gives back everything this share holds; a reservation still waiting fails. Idempotent.</summary>
        public void Dispose() => _budget.Close(this);
    }

    private sealed class Waiter(Share share, long bytes) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Share Share { get; } = share;

        public long Bytes { get; } = bytes;
    }
}
