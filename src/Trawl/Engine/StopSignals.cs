using System.Runtime.InteropServices;

namespace Trawl.Engine;

/// <summary>
/// Turns Ctrl+C and SIGTERM into the crawl's two stops: the first requests a graceful pause, the second aborts.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly CancellationTokenSource _pause;
    private readonly CancellationTokenSource _abort;
    private int _count;

    public StopSignals(CancellationTokenSource pause, CancellationTokenSource abort, bool listen)
    {
        _pause = pause;
        _abort = abort;
        if (!listen)
        {
            return;
        }

        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal));
        _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal));
    }

    /// <summary>The signal that paused the crawl, if any.</summary>
    public string? Received { get; private set; }

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
