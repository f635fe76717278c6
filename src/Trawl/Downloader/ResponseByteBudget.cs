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
/// <para>The budget never deadlocks. When every request holding part of it is itself waiting for more (none can give
/// anything back), the first waiter is granted whatever the budget says, and the others wait until it is done: a body
/// larger than the whole budget proceeds, alone. The bytes in use therefore stay within the budget plus one body.</para>
/// </remarks>
internal sealed class ResponseByteBudget
{
    private readonly Lock _gate = new();

    // Waiting reservations, ordered by their share's Order.
    private readonly List<Waiter> _waiting = [];

    // Shares holding bytes.
    private readonly HashSet<Share> _holders = [];
    private long _inUse;
    private long _opened;

    /// <summary>Creates a budget of <paramref name="limit"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive.</exception>
    public ResponseByteBudget(long limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        Limit = limit;
    }

    /// <summary>The bytes the budget allows in flight.</summary>
    public long Limit { get; }

    /// <summary>The bytes reserved now; above <see cref="Limit"/> only while a body that did not fit proceeds alone.</summary>
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
            if (_waiting.Count > 0 || _inUse + bytes > Limit)
            {
                return false;
            }

            Grant(share, bytes);
            return true;
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
            var excess = share.HeldBytes - keep;
            if (excess <= 0)
            {
                return;
            }

            share.HeldBytes = keep;
            _inUse -= excess;
            if (keep == 0)
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
            share.HeldBytes = 0;
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

    // Grants the waiters in order while they fit, or while nothing that holds bytes can give any back.
    private void Pump()
    {
        while (_waiting.Count > 0)
        {
            var first = _waiting[0];
            if (_inUse + first.Bytes > Limit && AnyHolderRunning())
            {
                return;
            }

            _waiting.RemoveAt(0);
            first.Share.IsWaiting = false;
            Grant(first.Share, first.Bytes);
            first.TrySetResult();
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

        /// <summary>The bytes this share holds.</summary>
        public long Held
        {
            get
            {
                lock (_budget._gate)
                {
                    return HeldBytes;
                }
            }
        }

        internal long Order { get; }

        // The fields below are read and written under the budget's lock only.
        internal long HeldBytes { get; set; }

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
