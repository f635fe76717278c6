using Trawl.Frontier;

namespace Trawl.Engine;

/// <summary>
/// Estimates how long a crawl may still take (<see cref="CrawlProgress.EstimatedTimeLeft"/>), when the work left is
/// bounded: by the page limit (the downloads left under it, at the recent rate of downloads), or by the crawl's own
/// frontier once discovery has stopped (its pending and leased requests, at the recent rate of completions). Fed by the
/// progress reporter once an interval, from one thread.
/// </summary>
/// <param name="limit">The page limit (<see cref="Crawling.CrawlOptions.Limit"/>), if any.</param>
/// <param name="ownFrontier">
/// Whether the frontier is the crawl's own (in memory, or its job's): the counts of one other workers share would be
/// drained at more than this run's rate.
/// </param>
internal sealed class TimeLeftEstimate(long? limit, bool ownFrontier)
{
    /// <summary>How far back the rate is measured.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    /// <summary>How long the frontier must have gained no request, while requests completed, for discovery to count as stopped.</summary>
    public static readonly TimeSpan Settled = TimeSpan.FromSeconds(10);

    private readonly LinkedList<Sample> _samples = new();

    /// <summary>Adds the figures at <paramref name="elapsed"/> into the run and returns the estimate, or <see langword="null"/> when there is none.</summary>
    public TimeSpan? Next(TimeSpan elapsed, CrawlStats stats, FrontierCounts counts)
    {
        var now = new Sample(elapsed, stats.Requests, stats.Pages + stats.Failed + stats.Skipped, counts.Total);
        _samples.AddLast(now);
        while (_samples.First!.Next is { } next && elapsed - next.Value.At >= Window)
        {
            _samples.RemoveFirst();
        }

        var oldest = _samples.First.Value;
        var seconds = (elapsed - oldest.At).TotalSeconds;
        if (seconds <= 0)
        {
            return null;
        }

        TimeSpan? left = null;
        if (limit is { } max && now.Downloads > oldest.Downloads)
        {
            left = TimeSpan.FromSeconds(Math.Max(0, max - now.Downloads) * seconds / (now.Downloads - oldest.Downloads));
        }

        if (ownFrontier && now.Completed > oldest.Completed && DiscoveryStopped(now))
        {
            var drain = TimeSpan.FromSeconds((counts.Pending + counts.InProgress) * seconds / (now.Completed - oldest.Completed));
            left = left is { } bound && bound < drain ? bound : drain;
        }

        return left;
    }

    // The frontier gained nothing over the last Settled, while requests completed: what is left in it is all there is,
    // unless a page still to come finds new links.
    private bool DiscoveryStopped(Sample now)
    {
        for (var node = _samples.Last!.Previous; node is not null; node = node.Previous)
        {
            if (now.At - node.Value.At >= Settled)
            {
                return node.Value.Scheduled == now.Scheduled && now.Completed > node.Value.Completed;
            }
        }

        return false;
    }

    /// <param name="At">Time into the run.</param>
    /// <param name="Downloads">Downloads attempted (what the page limit counts).</param>
    /// <param name="Completed">Requests that left the frontier: done, failed or skipped.</param>
    /// <param name="Scheduled">Requests ever scheduled in the frontier.</param>
    private readonly record struct Sample(TimeSpan At, long Downloads, long Completed, long Scheduled);
}
