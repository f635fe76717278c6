using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Trawl.Items;
using Trawl.Jobs;

namespace Trawl.Engine;

/// <summary>
/// How one crawl run stops, shared by the engine's parts: a graceful pause (no new work; what is in flight finishes),
/// a stop at once, and the fatal error that paused it; plus the dispatch loop's wake-up call, which any part rings when
/// it has news for the loop (a download ended, a batch was committed, a robots.txt arrived).
/// </summary>
internal sealed class CrawlLifetime : IDisposable
{
    /// <summary>How long a pause lets pages that are being parsed finish before their parse is stopped.</summary>
    public static readonly TimeSpan ParseGrace = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _pause;
    private readonly CancellationTokenSource _abort;
    private readonly CancellationTokenSource _parseStop;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private volatile Exception? _fatal;

    /// <param name="pauseToken">Cancelling it pauses the run.</param>
    /// <param name="abortToken">Cancelling it stops the run at once (and so pauses it too).</param>
    /// <param name="time">The crawl's clock, for the loop's timed waits.</param>
    /// <param name="logger">Where a fatal error is logged.</param>
    public CrawlLifetime(CancellationToken pauseToken, CancellationToken abortToken, TimeProvider time, ILogger logger)
    {
        _pause = CancellationTokenSource.CreateLinkedTokenSource(pauseToken);
        _abort = CancellationTokenSource.CreateLinkedTokenSource(abortToken);
        _parseStop = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        _time = time;
        _logger = logger;
        _pause.Token.Register(() =>
        {
            _parseStop.CancelAfter(ParseGrace);
            Wake();
        });
        _abort.Token.Register(() =>
        {
            _parseStop.Cancel();
            _pause.Cancel();
        });
    }

    /// <summary>Cancelled once the run is pausing: by a signal, the caller, a stop at once or a fatal error.</summary>
    public CancellationToken Pausing => _pause.Token;

    /// <summary>Cancelled once the run stops at once: what is in flight is abandoned.</summary>
    public CancellationToken Aborting => _abort.Token;

    /// <summary>
    /// Cancelled <see cref="ParseGrace"/> after the run starts pausing (at once when it stops at once): a page still being
    /// parsed then stops, so a pause never waits on a page that would take minutes to parse.
    /// </summary>
    public CancellationToken ParseStopping => _parseStop.Token;

    public bool IsPausing => _pause.IsCancellationRequested;

    public bool IsAborting => _abort.IsCancellationRequested;

    /// <summary>The error that stopped the run, if one did.</summary>
    public Exception? Fatal => _fatal;

    /// <summary>The sources <see cref="StopSignals"/> cancels: the first signal pauses, the second aborts.</summary>
    public (CancellationTokenSource Pause, CancellationTokenSource Abort) Sources => (_pause, _abort);

    /// <summary>
    /// A full disk or an unwritable output: the crawl cannot go on, but nothing is lost, so it pauses with the error
    /// and stays resumable.
    /// </summary>
    public static bool IsStorageError(Exception ex) => ex is JobStoreFullException or ItemExportException;

    /// <summary>Stops the run with an error it cannot go on after; the first error wins, and is logged once.</summary>
    public void StopForError(Exception ex)
    {
        if (Interlocked.CompareExchange(ref _fatal, ex, null) is not null)
        {
            return;
        }

        // An operational error's message says it all (a full disk, a lost Redis); anything else is a bug worth its stack trace.
        Log.Fatal(_logger, ex is IOperationalError ? null : ex, ex.Message);
        _pause.Cancel();
    }

    /// <summary>Tells the dispatch loop to look again.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>
    /// The dispatch loop's wait: until something rings <see cref="Wake"/>, <paramref name="wait"/> passes
    /// (<see cref="Timeout.InfiniteTimeSpan"/> for no limit), or the run pauses.
    /// </summary>
    public async Task WaitForWakeAsync(TimeSpan wait)
    {
        try
        {
            if (wait == Timeout.InfiniteTimeSpan)
            {
                await _wake.Reader.ReadAsync(_pause.Token).ConfigureAwait(false);
                return;
            }

            using var timeout = new CancellationTokenSource(wait, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _pause.Token);
            await _wake.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A delay passed, or a pause was requested: the loop looks again.
        }
    }

    public void Dispose()
    {
        _pause.Dispose();
        _abort.Dispose();
        _parseStop.Dispose();
    }
}
