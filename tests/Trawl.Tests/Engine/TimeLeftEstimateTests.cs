using Trawl.Engine;
using Trawl.Frontier;

namespace Trawl.Tests.Engine;

/// <summary>The time left, estimated only when the work left is bounded.</summary>
public sealed class TimeLeftEstimateTests
{
    [Fact]
    public void UnderAPageLimit_TheDownloadsLeft_AtTheRecentRate()
    {
        var estimate = new TimeLeftEstimate(limit: 1000, ownFrontier: false);

        estimate.Next(Seconds(0), Stats(downloads: 0), Counts(pending: 5000, total: 5000)).ShouldBeNull("no rate yet");
        estimate.Next(Seconds(10), Stats(downloads: 100), Counts(pending: 6000, total: 6100)).ShouldBe(Seconds(90));
        estimate.Next(Seconds(20), Stats(downloads: 400), Counts(pending: 7000, total: 7400)).ShouldBe(Seconds(30), "400 in 20 s, 600 to go");
    }

    [Fact]
    public void TheRate_IsTheLastHalfMinutes()
    {
        var estimate = new TimeLeftEstimate(limit: 10_000, ownFrontier: false);
        estimate.Next(Seconds(0), Stats(downloads: 0), Counts(0, 0));
        estimate.Next(Seconds(30), Stats(downloads: 3000), Counts(0, 0));

        // 100/s for the first half minute, then 10/s: only the second half minute counts.
        estimate.Next(Seconds(60), Stats(downloads: 3300), Counts(0, 0)).ShouldBe(Seconds(670));
    }

    [Fact]
    public void WithoutALimit_ThereIsNone_WhileDiscoveryGoesOn()
    {
        var estimate = new TimeLeftEstimate(limit: null, ownFrontier: true);
        for (var second = 0; second <= 30; second++)
        {
            // Every second 10 pages done, and 20 new links scheduled.
            estimate.Next(Seconds(second), Stats(downloads: 10 * second, completed: 10 * second), Counts(pending: 100 + (10 * second), total: 100 + (20 * second))).ShouldBeNull();
        }
    }

    [Fact]
    public void OnceDiscoveryHasStopped_TheFrontiersRequestsLeft_AtTheRecentRate()
    {
        var estimate = new TimeLeftEstimate(limit: null, ownFrontier: true);
        for (var second = 0; second <= 9; second++)
        {
            estimate.Next(Seconds(second), Stats(10 * second, 10 * second), Counts(pending: 500 - (10 * second), total: 500)).ShouldBeNull("not settled for ten seconds yet");
        }

        estimate.Next(Seconds(10), Stats(100, 100), Counts(pending: 400, total: 500)).ShouldBe(Seconds(40));
    }

    [Fact]
    public void AFrontierOthersShare_IsNotDrainedAtThisRunsRate_SoItGivesNone()
    {
        var estimate = new TimeLeftEstimate(limit: null, ownFrontier: false);
        for (var second = 0; second <= 20; second++)
        {
            estimate.Next(Seconds(second), Stats(10 * second, 10 * second), Counts(pending: 500 - (10 * second), total: 500)).ShouldBeNull();
        }
    }

    [Fact]
    public void WithBoth_TheSoonerBound()
    {
        var estimate = new TimeLeftEstimate(limit: 150, ownFrontier: true);
        estimate.Next(Seconds(0), Stats(0, 0), Counts(pending: 500, total: 500));
        estimate.Next(Seconds(10), Stats(100, 100), Counts(pending: 400, total: 500)).ShouldBe(Seconds(5), "50 left under the limit");
    }

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);

    private static CrawlStats Stats(long downloads, long completed = 0) => new() { Requests = downloads, Pages = completed };

    private static FrontierCounts Counts(long pending, long total) => new(pending, 0, total - pending, 0, 0);
}
