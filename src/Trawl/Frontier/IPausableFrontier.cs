namespace Trawl.Frontier;

/// <summary>
/// Implemented by shared frontiers that can be paused from outside this process, such as the Redis frontier's
/// cluster-wide pause (<c>trawl pause</c>). While <see cref="IsPaused"/> is <see langword="true"/> the engine starts no
/// new request: it finishes the requests in flight, hands the leases it has not started back with
/// <see cref="IFrontier.ReleaseAsync"/>, and then waits in <see cref="IFrontier.WaitToLeaseAsync"/>, which must neither
/// report work nor report the crawl finished while the frontier is paused.
/// </summary>
public interface IPausableFrontier
{
    /// <summary>
    /// Whether the frontier is paused, as this process last heard. Read before every request starts, so it must be cheap
    /// (no I/O); it is kept up to date by the frontier's own calls and notifications.
    /// </summary>
    bool IsPaused { get; }
}
