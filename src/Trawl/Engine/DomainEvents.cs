using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Trawl.Engine;

/// <summary>
/// What download tasks tell the dispatch loop about their domains: a download began, ended (with its latency and
/// status, for AutoThrottle and the freed slot), or a Retry-After paused its domain. Tasks report from any thread; the
/// loop applies the reports to the <see cref="DomainScheduler"/>, which it alone owns, before each round.
/// </summary>
internal sealed class DomainEvents(ILogger logger)
{
    private readonly ConcurrentQueue<DomainEvent> _queue = new();

    /// <summary>A download to <paramref name="domain"/> began at <paramref name="at"/>; the next waits <paramref name="delay"/> from then.</summary>
    public void Started(string domain, DateTimeOffset at, TimeSpan delay) =>
        _queue.Enqueue(new DomainEvent(DomainEventKind.Started, domain, at, delay, 0, false));

    /// <summary>
    /// A request to <paramref name="domain"/> is over, after <paramref name="latency"/>, with <paramref name="status"/>
    /// (0 for no response); <paramref name="failed"/> when it ended in an error (retried or failed).
    /// <paramref name="neverStarted"/>: it had a gap after it but ended before its download began.
    /// </summary>
    public void Finished(string domain, TimeSpan latency, int status, bool failed = false, bool neverStarted = false) =>
        _queue.Enqueue(new DomainEvent(DomainEventKind.Finished, domain, default, latency, status, failed, neverStarted));

    /// <summary>A <paramref name="status"/> response with Retry-After pauses <paramref name="domain"/> until <paramref name="until"/>, for <paramref name="wait"/>.</summary>
    public void Paused(string domain, DateTimeOffset until, TimeSpan wait, int status) =>
        _queue.Enqueue(new DomainEvent(DomainEventKind.Paused, domain, until, wait, status, false));

    /// <summary>Applies every report since the last call to <paramref name="scheduler"/>; on the dispatch loop only.</summary>
    public void ApplyTo(DomainScheduler scheduler, DateTimeOffset now)
    {
        while (_queue.TryDequeue(out var e))
        {
            switch (e.Kind)
            {
                case DomainEventKind.Started:
                    scheduler.Started(e.Domain, e.At, e.Span);
                    break;
                case DomainEventKind.Paused:
                    if (scheduler.PauseUntil(e.Domain, e.At))
                    {
                        Log.RetryAfterPause(logger, e.Domain, e.Status, e.Span);
                    }

                    break;
                case DomainEventKind.Finished:
                    if (e.Status > 0 && scheduler.Observe(e.Domain, e.Span, e.Status) is { } change && logger.IsEnabled(LogLevel.Debug))
                    {
                        Log.AutoThrottleDelay(logger, e.Domain, change.Old, change.New, e.Span, e.Status);
                    }

                    scheduler.Finished(e.Domain, now, e.Failed, e.NeverStarted);
                    break;
            }
        }
    }

    private enum DomainEventKind
    {
        Started,
        Finished,
        Paused,
    }

    /// <summary>
    /// Started: <c>At</c> the download began, <c>Span</c> the gap before the next. Finished: <c>Span</c> the latency,
    /// <c>Status</c> the response's (0 for none), <c>Failed</c> whether it ended in an error, <c>NeverStarted</c> whether
    /// it ended before its download began. Paused: <c>At</c> the end of a Retry-After pause, <c>Span</c> its length.
    /// </summary>
    private readonly record struct DomainEvent(DomainEventKind Kind, string Domain, DateTimeOffset At, TimeSpan Span, int Status, bool Failed = false, bool NeverStarted = false);
}
