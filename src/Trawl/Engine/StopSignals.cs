using System.Runtime.InteropServices;

namespace Trawl.Engine;

/// <summary>
/// Turns Ctrl+C and SIGTERM into a crawl's two stops: the first requests a graceful pause, the second aborts. A crawl
/// does this itself when <c>CrawlOptions.HandleSignals</c> is on; a console host doing other long work (an export, say)
/// can give its own work the same two stops.
/// </summary>
/// <remarks>While it listens, the signals do not end the process: the work decides how to stop. Dispose it to stop listening.</remarks>
public sealed class StopSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly CancellationTokenSource _pause;
    private readonly CancellationTokenSource _abort;
    private int _count;

    /// <summary>Cancels <paramref name="pause"/> on the first signal and <paramref name="abort"/> on the second.</summary>
    /// <param name="pause">Cancelled on the first Ctrl+C or SIGTERM.</param>
    /// <param name="abort">Cancelled on the second.</param>
    /// <param name="listen">Whether to listen at all; <see langword="false"/> makes this do nothing.</param>
    public StopSignals(CancellationTokenSource pause, CancellationTokenSource abort, bool listen)
    {
        ArgumentNullException.ThrowIfNull(pause);
        ArgumentNullException.ThrowIfNull(abort);
        _pause = pause;
        _abort = abort;
        if (!listen)
        {
            return;
        }

        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    /// <summary>The first signal received, <c>Ctrl+C</c> or <c>SIGTERM</c>, or <see langword="null"/>.</summary>
    public string? Received { get; private set; }

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the engine decides how to stop.
        context.Cancel = true;
        Received ??= context.Signal == PosixSignal.SIGINT ? "Ctrl+C" : "SIGTERM";
        if (Interlocked.Increment(ref _count) == 1)
        {
            _pause.Cancel();
        }
        else
        {
            _abort.Cancel();
        }
    }
}
