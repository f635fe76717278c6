using System.Diagnostics;
using System.Globalization;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Redis;

/// <summary>
/// Per-domain limits across a cluster: three real <c>trawl crawl --frontier</c> processes on a real redis-server, measured
/// where it counts, at the sandbox site. They run alone (the timing collection), so a busy machine does not blur the
/// arrival times.
/// </summary>
[Collection(nameof(TimingCollection))]
public sealed class GlobalPolitenessTests(RedisServerFixture fixture, ITestOutputHelper output) : IClassFixture<RedisServerFixture>, IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly long Second = Stopwatch.Frequency;
    private readonly ThreadPoolFloor _threads = new();

    public void Dispose() => _threads.Dispose();

    [Fact]
    public async Task GlobalRate20_ThreeWorkers_SiteSeesAtMost110InAny5Seconds_AtLeast18PerSecond_EachPageOnce()
    {
        var siteOptions = new SandboxOptions { Pages = 280, QuotePages = 0, PageSize = 1024, Seed = 5 };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var name = $"rate-{Guid.NewGuid():N}";

        var workers = await RunWorkersAsync(temp, worker => [.. WorkerArgs(name, worker), "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--global-rate", "20"]);

        var log = site.RequestLog();
        var times = log.Select(r => r.TimestampTicks).Order().ToArray();
        var busiest = BusiestWindow(times, 5 * Second);
        var perSecond = new int[((times[^1] - times[0]) / Second) + 1];
        foreach (var t in times)
        {
            perSecond[(t - times[0]) / Second]++;
        }

        var middle = perSecond[2..^2];
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{times.Length} requests in {(double)(times[^1] - times[0]) / Second:0.0} s; busiest 5 s: {busiest}; per second: {string.Join(' ', perSecond)}"));
        busiest.ShouldBeLessThanOrEqualTo(110, "20 requests/s + 10% over any 5 s");

        // The rate the cluster holds through the middle of the run (start-up and the tail left out). The median of whole
        // seconds, since on a busy shared machine every process stalls at times, and a stall costs its second whatever
        // the limiter does; a limit far too strict shows in every second.
        RequestIntervals.Median([.. middle.Select(n => (double)n)]).ShouldBeGreaterThanOrEqualTo(18, "the cluster approaches the rate");

        var expected = SandboxSite.ReachablePaths(siteOptions);
        var fetches = TestSites.PageFetches(site, siteOptions);
        fetches.Keys.ShouldBe(expected, ignoreOrder: true);
        fetches.Values.ShouldAllBe(count => count == 1);
        var byWorker = log.Where(r => expected.Contains(r.PathAndQuery)).CountBy(r => r.UserAgent ?? "none").ToDictionary();
        output.WriteLine("pages by worker: " + string.Join(", ", byWorker.Select(pair => $"{pair.Key} {pair.Value}")));
        byWorker.Keys.ShouldBe(["worker-1", "worker-2", "worker-3"], ignoreOrder: true, "all three workers fetched pages");
        workers[0].ShouldContain("Global limits: 20 requests/s per domain (burst 2), no concurrency limit.");
    }

    [Fact]
    public async Task GlobalConcurrency2_ThreeWorkers_SiteNeverSeesMoreThanTwoAtOnce()
    {
        await using var site = await TestSites.StartAsync(pages: 1);
        using var temp = new TempDirectory();
        var name = $"conc-{Guid.NewGuid():N}";
        const int perWorker = 8;

        // Each worker seeds its own slow pages, so each has work of its own while it waits for a slot.
        var workers = await RunWorkersAsync(temp, worker =>
        [
            .. WorkerArgs(name, worker), "--global-concurrency", "2",
            .. Enumerable.Range(0, perWorker).SelectMany(i => new[] { "--start", new Uri(site.BaseUrl, $"/trap/slow?ms=300&i={(worker * perWorker) + i}").AbsoluteUri }),
        ]);

        var slow = site.RequestLog().Where(r => r.PathAndQuery.StartsWith("/trap/slow")).ToList();
        output.WriteLine($"peak {site.PeakConcurrentRequests}; slow pages by worker: {string.Join(", ", slow.CountBy(r => r.UserAgent ?? "none").Select(pair => $"{pair.Key} {pair.Value}"))}");
        site.PeakConcurrentRequests.ShouldBe(2, "never more than 2 at once, and the limit is used");
        slow.Count.ShouldBe(3 * perWorker);
        slow.Select(r => r.PathAndQuery).Distinct().Count().ShouldBe(3 * perWorker, "each page fetched once");
        slow.Select(r => r.UserAgent).Distinct().Count().ShouldBeGreaterThanOrEqualTo(2, "the workers share the slots");
        workers[0].ShouldContain("at most 2 in flight per domain");
    }

    [Fact]
    public async Task GlobalLimits_OtherThanTheCrawlsRecordedOnes_AreAUsageError_AndAWorkerWithoutAnyAdoptsThem()
    {
        await using var site = await TestSites.StartAsync(pages: 3);
        using var temp = new TempDirectory();
        var name = $"conflict-{Guid.NewGuid():N}";
        string[] Args(params string[] more) => [.. WorkerArgs(name, 1), "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", .. more];

        var first = await CliRunner.RunAsync(Args("--global-rate", "50", "--global-burst", "2"));
        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Output + first.Error);

        var other = await CliRunner.RunAsync(Args("--global-rate", "10"));
        other.ExitCode.ShouldBe(ExitCodes.Usage);
        other.Error.ShouldContain($"already has its global limits: 50 requests/s per domain (burst 2), no concurrency limit, not 10 requests/s per domain (burst 1)");
        other.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1, other.Error);

        var adopting = await CliRunner.RunAsync(Args());
        adopting.ExitCode.ShouldBe(ExitCodes.Finished, adopting.Output + adopting.Error);
        adopting.Output.ShouldContain("Global limits: 50 requests/s per domain (burst 2), no concurrency limit, as recorded with the crawl.");
    }

    private string[] WorkerArgs(string name, int worker) =>
    [
        "crawl", "--name", name, "--frontier", fixture.Server.Url, "--idle-timeout", "1", "--user-agent", $"worker-{worker}",
        "--concurrency", "8", "--no-progress", "--log-level", "warning", "--checkpoint-interval", "0.2",
    ];

    // Starts three workers at once, waits for each to finish (exit 0) and returns what each printed.
    private static async Task<string[]> RunWorkersAsync(TempDirectory temp, Func<int, string[]> args)
    {
        var workers = Enumerable.Range(1, 3).Select(worker => CliProcess.Start(temp.Path, args(worker))).ToArray();
        try
        {
            foreach (var worker in workers)
            {
                (await worker.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, worker.Output + worker.Error);
            }

            return [.. workers.Select(worker => worker.Output)];
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    // The most requests in any window of the given length (sliding over the arrival times, sorted).
    private static int BusiestWindow(long[] times, long window)
    {
        var most = 0;
        for (int first = 0, last = 0; first < times.Length; first++)
        {
            while (last < times.Length && times[last] < times[first] + window)
            {
                last++;
            }

            most = Math.Max(most, last - first);
        }

        return most;
    }
}
