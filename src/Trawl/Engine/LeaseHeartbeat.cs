using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Trawl.Frontier;

namespace Trawl.Engine;

/// <summary>
/// Keeps alive the leases this worker holds on a frontier whose leases expire (<see cref="IExpiringLeases"/>, such as
/// Redis): every lease from when it is leased until it is committed or released, renewed every third of the lease
/// duration, so slow downloads and group commits do not let a lease lapse and hand its request to another worker.
/// </summary>
/// <remarks>
/// <see cref="Hold"/> and <see cref="Forget"/> may be called from any thread. When renewing fails (the frontier gave up
/// after an outage), <c>onFault</c> is told and the heartbeat stops: without renewals, leases would lapse under the
/// workers.
/// </remarks>
internal sealed class LeaseHeartbeat : IAsyncDisposable
{
    // Keyed by token, which is unique per grant.
    private readonly ConcurrentDictionary<long, Lease> _held = new();
    private readonly IFrontier _frontier;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<Exception> _onFault;
    private readonly BackgroundLoop _loop = new();

    private LeaseHeartbeat(IFrontier frontier, TimeSpan interval, TimeProvider time, ILogger logger, Action<Exception> onFault)
    {
        _frontier = frontier;
        _interval = interval;
        _time = time;
        _logger = logger;
        _onFault = onFault;
    }

    /// <summary>How many leases are held now.</summary>
    public int Count => _held.Count;

    /// <summary>The interval between renewals.</summary>
    public TimeSpan Interval => _interval;

    /// <summary>A heartbeat for <paramref name="frontier"/>, or <see langword="null"/> when its leases never expire.</summary>
    public static LeaseHeartbeat? For(IFrontier frontier, TimeProvider time, ILogger logger, Action<Exception> onFault) =>
        frontier is IExpiringLeases { LeaseDuration: var duration } && duration > TimeSpan.Zero && duration != Timeout.InfiniteTimeSpan
            ? new LeaseHeartbeat(frontier, duration / 3, time, logger, onFault)
            : null;

    /// <summary>Renews <paramref name="lease"/> from now on.</summary>
    public void Hold(Lease lease) => _held.TryAdd(lease.Token, lease);

    /// <summary>Stops renewing <paramref name="lease"/>: it was committed or released.</summary>
    public void Forget(Lease lease) => _held.TryRemove(lease.Token, out _);

    /// <summary>Starts renewing, once.</summary>
    public void Start() => _loop.Start(RunAsync);

    /// <summary>Stops renewing and waits for a renewal under way to end. Calling it again does nothing.</summary>
    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var held = _held.Values.ToList();
                await _frontier.RenewAsync(held, cancellationToken).ConfigureAwait(false);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    Log.LeasesRenewed(_logger, held.Count);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            _onFault(ex);
        }
    }
}
