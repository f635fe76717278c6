using Microsoft.Extensions.Logging;
using Trawl.Frontier;

namespace Trawl.Engine;

/// <summary>
/// Tells the progress handler (<see cref="CrawlerBuilder.ReportProgress"/>) about the crawl every <see cref="Crawling.CrawlOptions.ProgressInterval"/>, and once
/// at the end: the counters, the requests queued (the frontier's pending ones, and those this crawl has leased ahead and
/// not started), the requests in flight, the recent rates, the busiest domains (<see cref="DomainFigures"/>) and the
/// time left when it is bounded (<see cref="TimeLeftEstimate"/>). The frontier's
/// counts it takes are also what the frontier gauges report (<see cref="StatsCollector.Frontier"/>), so metrics cost no
/// frontier query of their own.
/// </summary>
/// <remarks>
/// A frontier that cannot be counted (a Redis outage) costs that report only: it is logged and the next one is tried;
/// the dispatch loop, which needs the frontier, is what decides whether the crawl can go on.
/// </remarks>
internal sealed class ProgressReporter : IAsyncDisposable
{
    private readonly IProgress<CrawlProgress>? _progress;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly IFrontier _frontier;
    private readonly Func<int> _heldAhead;
    private readonly StatsCollector _stats;
    private readonly Func<CrawlStats> _snapshot;
    private readonly Func<bool> _stopping;
    private readonly ILogger _logger;
    private readonly DomainFigures? _domains;
    private readonly TimeLeftEstimate? _timeLeft;
    private readonly BackgroundLoop _loop = new();
    private bool _countFailureLogged;

    /// <param name="progress">Who is told; <see langword="null"/> for nobody (then there is no loop).</param>
    /// <param name="interval">How often.</param>
    /// <param name="time">The crawl's clock.</param>
    /// <param name="frontier">Counted for the pending requests.</param>
    /// <param name="heldAhead">
    /// Reads how many leased requests the crawl holds and has not started (leased ahead, or waiting for their robots.txt):
    /// queued as much as the pending ones, though the frontier counts them in progress.
    /// </param>
    /// <param name="stats">The run's counters: requests in flight, and where the frontier counts are kept.</param>
    /// <param name="snapshot">Takes the counters' snapshot.</param>
    /// <param name="stopping">Whether the run is stopping (pausing, or at a limit).</param>
    /// <param name="logger">Where a failed count is logged.</param>
    /// <param name="domains">The busiest domains, as the dispatch loop last took them; none without.</param>
    /// <param name="timeLeft">Estimates the time left; none without.</param>
    public ProgressReporter(
        IProgress<CrawlProgress>? progress,
        TimeSpan interval,
        TimeProvider time,
        IFrontier frontier,
        Func<int> heldAhead,
        StatsCollector stats,
        Func<CrawlStats> snapshot,
        Func<bool> stopping,
        ILogger logger,
        DomainFigures? domains = null,
        TimeLeftEstimate? timeLeft = null)
    {
        _progress = progress;
        _interval = interval;
        _time = time;
        _frontier = frontier;
        _heldAhead = heldAhead;
        _stats = stats;
        _snapshot = snapshot;
        _stopping = stopping;
        _logger = logger;
        _domains = domains;
        _timeLeft = timeLeft;
    }

    /// <summary>Starts reporting every interval, once; does nothing without anyone to tell.</summary>
    public void Start()
    {
        if (_progress is { } progress)
        {
            _loop.Start(cancellationToken => RunAsync(progress, cancellationToken));
        }
    }

    /// <summary>The last report: the run is over, nothing is in flight.</summary>
    public void ReportFinal(CrawlStats stats, FrontierCounts counts)
    {
        _stats.Frontier = counts;
        _progress?.Report(new CrawlProgress
        {
            Stats = stats,
            Queued = counts.Pending,
            InFlight = 0,
            CurrentPagesPerSecond = stats.PagesPerSecond,
            Stopping = false,
            CurrentBytesPerSecond = stats.Elapsed > TimeSpan.Zero ? stats.BytesDownloaded / stats.Elapsed.TotalSeconds : 0,
        });
    }

    /// <summary>Stops reporting and waits for a report under way. Calling it again does nothing.</summary>
    public ValueTask DisposeAsync() => _loop.DisposeAsync();

    private async Task RunAsync(IProgress<CrawlProgress> progress, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        var lastPages = 0L;
        var lastBytes = 0L;
        var lastTime = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var stats = _snapshot();
                var now = _time.GetTimestamp();
                var seconds = _time.GetElapsedTime(lastTime, now).TotalSeconds;
                var rate = seconds > 0 ? (stats.Pages - lastPages) / seconds : 0;
                var bytesRate = seconds > 0 ? (stats.BytesDownloaded - lastBytes) / seconds : 0;
                lastPages = stats.Pages;
                lastBytes = stats.BytesDownloaded;
                lastTime = now;
                if (await CountAsync(cancellationToken).ConfigureAwait(false) is not { } counts)
                {
                    continue;
                }

                _stats.Frontier = counts;
                progress.Report(new CrawlProgress
                {
                    Stats = stats,
                    Queued = counts.Pending + Math.Max(0, _heldAhead()),
                    InFlight = _stats.InFlight,
                    CurrentPagesPerSecond = rate,
                    Stopping = _stopping(),
                    CurrentBytesPerSecond = bytesRate,
                    Domains = _domains?.Read(_time.GetUtcNow()) ?? [],
                    EstimatedTimeLeft = _timeLeft?.Next(stats.Elapsed, stats, counts),
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async ValueTask<FrontierCounts?> CountAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _frontier.GetCountsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (!_countFailureLogged)
            {
                _countFailureLogged = true;
                Log.ProgressCountFailed(_logger, ex);
            }

            return null;
        }
    }
}
