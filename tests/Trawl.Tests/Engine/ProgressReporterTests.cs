using Microsoft.Extensions.Logging;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class ProgressReporterTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryInterval_ReportsTheCountersAndThePending_AndKeepsTheCountsForTheGauges()
    {
        var time = new FakeTimeProvider();
        await using var frontier = new MemoryFrontier(time);
        await frontier.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b")], CancellationToken.None);
        using var stats = EngineParts.Stats(time);
        var reports = new Reports();
        var stopping = false;
        await using var reporter = new ProgressReporter(reports, TimeSpan.FromSeconds(1), time, frontier, () => 0, stats, () => stats.Snapshot(0, 0, new Dictionary<string, long>()), () => stopping, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        reporter.Start();

        stats.Page();
        time.Advance(TimeSpan.FromSeconds(1));
        await Waiting.UntilAsync(() => reports.All.Count == 1, Generous, "the first report");
        stopping = true;
        time.Advance(TimeSpan.FromSeconds(1));
        await Waiting.UntilAsync(() => reports.All.Count == 2, Generous, "the second report");

        var first = reports.All[0];
        first.Queued.ShouldBe(2);
        first.Stats.Pages.ShouldBe(1);
        first.CurrentPagesPerSecond.ShouldBe(1);
        first.Stopping.ShouldBeFalse();
        reports.All[1].Stopping.ShouldBeTrue();
        stats.Frontier.ShouldNotBeNull().Pending.ShouldBe(2);
    }

    [Fact]
    public async Task EachReport_CarriesTheByteRate_TheDomainsLastTaken_AndTheTimeLeft()
    {
        var time = new FakeTimeProvider();
        await using var frontier = new MemoryFrontier(time);
        await frontier.AddAsync([new Request("http://a.example/1"), new Request("http://a.example/2")], CancellationToken.None);
        using var stats = EngineParts.Stats(time);
        var scheduler = new DomainScheduler(new Trawl.Crawling.CrawlOptions(), new Random(1));
        scheduler.Add(EngineParts.Lease("http://a.example/held"));
        var figures = new DomainFigures(TimeSpan.FromSeconds(1));
        figures.Take(scheduler, time.GetUtcNow());
        var reports = new Reports();
        await using var reporter = new ProgressReporter(reports, TimeSpan.FromSeconds(1), time, frontier, () => 0, stats, () => stats.Snapshot(0, 0, new Dictionary<string, long>()), () => false, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, figures, new TimeLeftEstimate(limit: 10, ownFrontier: true));
        reporter.Start();

        stats.Request();
        stats.Response(200, 2048);
        time.Advance(TimeSpan.FromSeconds(1));
        await Waiting.UntilAsync(() => reports.All.Count == 1, Generous, "the first report");
        stats.Request();
        stats.Response(200, 1024);
        time.Advance(TimeSpan.FromSeconds(1));
        await Waiting.UntilAsync(() => reports.All.Count == 2, Generous, "the second report");

        var (first, second) = (reports.All[0], reports.All[1]);
        first.CurrentBytesPerSecond.ShouldBe(2048);
        second.CurrentBytesPerSecond.ShouldBe(1024);
        second.Stats.BytesDownloaded.ShouldBe(3072);
        var domain = first.Domains.ShouldHaveSingleItem();
        domain.Domain.ShouldBe("a.example");
        domain.Queued.ShouldBe(1);
        first.EstimatedTimeLeft.ShouldBeNull("one sample gives no rate");
        second.EstimatedTimeLeft.ShouldBe(TimeSpan.FromSeconds(8), "one download a second, eight left under the limit of ten");
    }

    [Fact]
    public async Task RequestsLeasedAhead_CountAsQueued_NotAsInFlight()
    {
        var time = new FakeTimeProvider();
        await using var frontier = new MemoryFrontier(time);
        await frontier.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b"), new Request("http://example.com/c")], CancellationToken.None);
        var leased = await frontier.TryLeaseAsync(2, CancellationToken.None);
        using var stats = EngineParts.Stats(time);
        var reports = new Reports();
        await using var reporter = new ProgressReporter(reports, TimeSpan.FromSeconds(1), time, frontier, () => leased.Count, stats, () => stats.Snapshot(0, 0, new Dictionary<string, long>()), () => false, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        reporter.Start();

        time.Advance(TimeSpan.FromSeconds(1));
        await Waiting.UntilAsync(() => reports.All.Count == 1, Generous, "the first report");

        // One pending, two leased and held by the crawl without being started: three queued, none in flight.
        reports.All[0].Queued.ShouldBe(3);
        reports.All[0].InFlight.ShouldBe(0);
    }

    [Fact]
    public async Task AFrontierThatCannotBeCounted_CostsThatReportOnly_AndIsLoggedOnce()
    {
        var time = new FakeTimeProvider();
        var frontier = new FlakyCounts();
        using var stats = EngineParts.Stats(time);
        using var log = new CapturingLoggerProvider();
        using var loggers = log.CreateFactory();
        var reports = new Reports();
        await using var reporter = new ProgressReporter(reports, TimeSpan.FromSeconds(1), time, frontier, () => 0, stats, () => stats.Snapshot(0, 0, new Dictionary<string, long>()), () => false, loggers.CreateLogger("progress"));
        reporter.Start();

        for (var tick = 1; tick <= 3; tick++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Waiting.UntilAsync(() => frontier.Calls == tick, Generous, "the next count");
        }

        time.Advance(TimeSpan.FromSeconds(1));
        await Waiting.UntilAsync(() => reports.All.Count == 1, Generous, "a report once the frontier answers");
        log.Lines.Count(line => line.Contains("could not be counted", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public void TheFinalReport_HasNothingInFlight()
    {
        using var stats = EngineParts.Stats();
        var reports = new Reports();
        var reporter = new ProgressReporter(reports, TimeSpan.FromSeconds(1), TimeProvider.System, new MemoryFrontier(), () => 0, stats, () => stats.Snapshot(0, 0, new Dictionary<string, long>()), () => true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        reporter.ReportFinal(stats.Snapshot(0, 0, new Dictionary<string, long>()), new FrontierCounts(3, 0, 5, 1, 0));

        var report = reports.All.ShouldHaveSingleItem();
        report.Queued.ShouldBe(3);
        report.InFlight.ShouldBe(0);
        report.Stopping.ShouldBeFalse();
        stats.Frontier!.Done.ShouldBe(5);
    }

    private sealed class Reports : IProgress<CrawlProgress>
    {
        private readonly List<CrawlProgress> _all = [];

        public IReadOnlyList<CrawlProgress> All
        {
            get
            {
                lock (_all)
                {
                    return [.. _all];
                }
            }
        }

        public void Report(CrawlProgress value)
        {
            lock (_all)
            {
                _all.Add(value);
            }
        }
    }

    /// <summary>Fails the first three counts, then answers.</summary>
    private sealed class FlakyCounts : IFrontier
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) <= 3
                ? ValueTask.FromException<FrontierCounts>(new IOException("outage"))
                : new(new FrontierCounts(0, 0, 0, 0, 0));

        public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
