using Microsoft.Extensions.Logging;
using Trawl.Http;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// The boundary around the spider's own hooks: <see cref="Spider.OnStartAsync"/>, <see cref="Spider.StartRequests"/>
/// and <see cref="Spider.OnCloseAsync"/>. A hook that throws is logged once with its exception and counted in
/// <see cref="CrawlStats.ErrorsByKind"/> (<c>on_start_error</c>, <c>start_requests_error</c>, <c>on_close_error</c>), and
/// the crawl goes on without it. (Callbacks have their boundary in <see cref="CallbackRunner"/>.)
/// </summary>
internal sealed class SpiderHooks(Spider spider, StatsCollector stats, CrawlLifetime lifetime, ILogger logger)
{
    /// <summary>Calls <see cref="Spider.OnStartAsync"/>; the crawl starts whether or not it succeeds.</summary>
    public ValueTask OnStartAsync(bool resuming) =>
        RunAsync(nameof(Spider.OnStartAsync), FailureKinds.OnStartError, () => spider.OnStartAsync(resuming, lifetime.Aborting));

    /// <summary>Calls <see cref="Spider.OnCloseAsync"/>; the run's result stands whether or not it succeeds.</summary>
    public ValueTask OnCloseAsync() =>
        RunAsync(nameof(Spider.OnCloseAsync), FailureKinds.OnCloseError, () => spider.OnCloseAsync(CancellationToken.None));

    /// <summary>
    /// The spider's start requests, in order, streamed (there may be millions). When <see cref="Spider.StartRequests"/>
    /// throws, the sequence ends there: the requests it yielded before are kept, the rest never existed. Null requests
    /// are left out.
    /// </summary>
    public IEnumerable<Request> StartRequests()
    {
        if (Begin() is not { } starts)
        {
            yield break;
        }

        try
        {
            while (TryMoveNext(starts, out var start))
            {
                if (start is not null)
                {
                    yield return start;
                }
            }
        }
        finally
        {
            End(starts);
        }
    }

    private IEnumerator<Request>? Begin()
    {
        try
        {
            return spider.StartRequests().GetEnumerator();
        }
        catch (Exception ex)
        {
            Failed("StartRequests", FailureKinds.StartRequestsError, ex);
            return null;
        }
    }

    private bool TryMoveNext(IEnumerator<Request> starts, out Request? start)
    {
        try
        {
            if (starts.MoveNext())
            {
                start = starts.Current;
                return true;
            }
        }
        catch (Exception ex)
        {
            Failed("StartRequests", FailureKinds.StartRequestsError, ex);
        }

        start = null;
        return false;
    }

    private void End(IEnumerator<Request> starts)
    {
        try
        {
            starts.Dispose();
        }
        catch (Exception ex)
        {
            Failed("StartRequests", FailureKinds.StartRequestsError, ex);
        }
    }

    // Called inside the try, so a hook that throws before returning its task is caught too.
    private async ValueTask RunAsync(string hook, string kind, Func<ValueTask> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (lifetime.IsAborting)
        {
            // Stopped at once while the hook ran.
        }
        catch (Exception ex)
        {
            Failed(hook, kind, ex);
        }
    }

    private void Failed(string hook, string kind, Exception ex)
    {
        stats.Error(kind);
        Log.SpiderHookFailed(logger, ex, spider.Name, hook, kind);
    }
}
