using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Logging;
using Trawl.Politeness;

namespace Trawl.Engine;

/// <summary>
/// Turns how a request's attempt ended into its lease's <see cref="Completion"/>, logging and counting each outcome
/// once: retried with exponential backoff (no sooner than a Retry-After or robots.txt asks) until its retries are used
/// up, failed, failed by a fault of the code that handled it, or skipped on purpose.
/// </summary>
internal sealed class RequestOutcomes(RetryOptions retry, StatsCollector stats, DomainEvents domainEvents, TimeProvider time, ILogger logger)
{
    /// <summary>Retries the request after its backoff (or <paramref name="notBefore"/>, if later), or fails it once its retries are used up.</summary>
    public Completion RetryOrFail(Lease lease, string kind, string message, int? status, DateTimeOffset? notBefore = null)
    {
        var retriesSoFar = lease.Attempt - 1;
        var dontRetry = RequestMeta.TryGetBool(lease.Request, RequestMeta.DontRetry) == true;
        if (retriesSoFar >= retry.MaxRetries || dontRetry)
        {
            return Fail(lease, kind, message, status);
        }

        var wait = retry.BackoffFor(retriesSoFar + 1);
        if (notBefore is { } floor && floor - time.GetUtcNow() > wait)
        {
            wait = floor - time.GetUtcNow();
        }

        Log.Retrying(logger, UrlRedaction.UrlForLog(lease.Request.Url), lease.Attempt, kind, message, wait);
        stats.Retry(kind);
        return Completion.Retry(lease, kind, message, time.GetUtcNow() + wait, status);
    }

    /// <summary>Fails the request for good.</summary>
    public Completion Fail(Lease lease, string kind, string message, int? status)
    {
        Log.RequestFailed(logger, UrlRedaction.UrlForLog(lease.Request.Url), lease.Attempt, kind, message);
        stats.Failed(kind, start: lease.Request.Depth == 0);
        return Completion.Failed(lease, kind, message, status);
    }

    /// <summary>
    /// Fails the request because code that handled it threw (<paramref name="where"/> names it): the error is counted,
    /// logged once with its exception, and recorded as <c>Type: message</c>. Not retried: a fault is not transient.
    /// </summary>
    public Completion Fault(Lease lease, string kind, string where, Exception exception, int? status)
    {
        stats.Error(kind);
        Log.RequestFaulted(logger, exception, where, UrlRedaction.UrlForLog(lease.Request.Url), kind);
        stats.Failed(kind, start: lease.Request.Depth == 0);
        return Completion.Failed(lease, kind, $"{exception.GetType().Name}: {exception.Message}", status);
    }

    /// <summary>Skips the request on purpose (robots.txt, scope, limits, middleware); counted when committed.</summary>
    public Completion Skip(Lease lease, string kind, string reason)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.Skipped(logger, UrlRedaction.UrlForLog(lease.Request.Url), kind, reason);
        }

        return Completion.Skipped(lease, kind, reason);
    }

    /// <summary>
    /// A 429 or 503 with Retry-After pauses its domain until then (capped at <see cref="RetryOptions.MaxRetryAfter"/>).
    /// Returns when the request's retry may come, if anywhere.
    /// </summary>
    public DateTimeOffset? HonourRetryAfter(string domain, Response response)
    {
        var max = retry.MaxRetryAfter;
        if (response.Status is not (429 or 503) || max <= TimeSpan.Zero)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (RetryAfter.Parse(response.Headers, now) is not { } asked)
        {
            return null;
        }

        var wait = asked;
        if (wait > max)
        {
            Log.RetryAfterCapped(logger, domain, response.Status, asked, max);
            wait = max;
        }

        var until = now + wait;
        domainEvents.Paused(domain, until, wait, response.Status);
        return until;
    }
}
