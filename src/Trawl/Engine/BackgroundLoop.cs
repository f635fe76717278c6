namespace Trawl.Engine;

/// <summary>
/// The lifetime of one of the run's background loops (the lease heartbeat, progress reports): started once, stopped by
/// disposing, which cancels the loop's token and waits for it to end. Disposing again does nothing. The loop itself must
/// end quietly when its token is cancelled.
/// </summary>
internal sealed class BackgroundLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private int _started;
    private int _disposed;

    /// <summary>Starts <paramref name="loop"/> with the token that stops it; only the first call starts anything.</summary>
    public void Start(Func<CancellationToken, Task> loop)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _loop = loop(_stop.Token);
        }
    }

    /// <summary>Stops the loop and waits for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
