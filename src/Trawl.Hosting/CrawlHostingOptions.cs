namespace Trawl.Hosting;

/// <summary>
/// How a crawl behaves as a hosted service: what the application does when the crawl finishes, and how long host
/// shutdown waits for a graceful pause. Bound from the <c>Hosting</c> child of the crawl's configuration section
/// (<c>Trawl:Hosting:WhenFinished</c>, or the environment variable <c>Trawl__Hosting__WhenFinished</c>).
/// </summary>
public sealed class CrawlHostingOptions
{
    /// <summary>What the application does once the crawl has finished (not when it paused or failed).</summary>
    /// <value>The default is <see cref="WhenCrawlFinished.StopApplication"/>.</value>
    public WhenCrawlFinished WhenFinished { get; set; } = WhenCrawlFinished.StopApplication;

    /// <summary>
    /// How long the crawl may take to pause gracefully once the host begins to stop (requests in flight finish and are
    /// committed); past it, the crawl stops at once, and the requests still in flight stay in the job as in progress, to
    /// be fetched again on the next start. Nothing committed is lost either way, and each item is still written once.
    /// <see langword="null"/> to take it from the host: five seconds before <c>HostOptions.ShutdownTimeout</c> (half of
    /// it when that is under ten seconds), so the stop at once still has time to close the job before the host gives up.
    /// </summary>
    /// <value>The default is <see langword="null"/>: 25 seconds with the host's default shutdown timeout of 30 seconds.</value>
    public TimeSpan? PauseTimeout { get; set; }

    /// <summary>The pause timeout that applies under a host whose shutdown timeout is <paramref name="shutdownTimeout"/>.</summary>
    /// <returns>A duration, or <see cref="Timeout.InfiniteTimeSpan"/> for none.</returns>
    internal TimeSpan PauseTimeoutUnder(TimeSpan shutdownTimeout)
    {
        if (PauseTimeout is { } timeout)
        {
            return timeout;
        }

        if (shutdownTimeout == Timeout.InfiniteTimeSpan)
        {
            return Timeout.InfiniteTimeSpan;
        }

        var allowance = TimeSpan.FromSeconds(5);
        return shutdownTimeout >= 2 * allowance ? shutdownTimeout - allowance : shutdownTimeout / 2;
    }
}

/// <summary>What the application does once a crawl run as a hosted service has finished.</summary>
public enum WhenCrawlFinished
{
    /// <summary>
    /// Stop the application (<c>IHostApplicationLifetime.StopApplication</c>), so a worker service exits with code 0
    /// once its crawl is done. With several crawls in one host, the application stops once every crawl that says so has
    /// finished.
    /// </summary>
    StopApplication,

    /// <summary>Keep the application running: for a crawl that is one service among others (a web application, say).</summary>
    KeepRunning,
}
