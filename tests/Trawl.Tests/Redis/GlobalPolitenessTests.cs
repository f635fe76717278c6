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
/// where it counts, at the sandbox site. They assert only what the limits guarantee (upper bounds, each page once), never
/// how fast or how fairly a busy machine gets there; they run alone (the timing collection) so their figures stay useful.
/// </summary>
[Collection(nameof(TimingCollection))]
public sealed class GlobalPolitenessTests(RedisServerFixture fixture, ITestOutputHelper output) : IClassFixture<RedisServerFixture>, IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly long Second = Stopwatch.Frequency;
    private readonly ThreadPoolFloor _threads = new();

    public void Dispose() => _threads.Dispose();

    [Fact]
    public async Task GlobalRate20_ThreeWorkers_TheSiteNeverSeesMoreThanTheRateAllows_EachPageOnce()
    {
        var siteOptions = new SandboxOptions { Pages = 280, QuotePages = 0, PageSize = 1024, Seed = 5 };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var name = $"rate-{Guid.NewGuid():N}";

        var workers = await RunWorkersAsync(temp, worker => [.. WorkerArgs(name, worker), "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--global-rate", "20"]);

        var log = site.RequestLog();
        var times = log.Select(r => r.TimestampTicks).Order().ToArray();
        var span = (double)(times[^1] - times[0]) / Second;
        var perSecond = new int[((times[^1] - times[0]) / Second) + 1];
        foreach (var t in times)
        {
            perSecond[(t - times[0]) / Second]++;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{times.Length} requests in {span:0.0} s; busiest 5 s: {BusiestWindow(times, 5 * Second)}; per second: {string.Join(' ', perSecond)}"));

        // The bucket grants at most burst + rate·t in any t seconds, by Redis's clock. The site sees each request a little
        // after its grant, so its span runs from the first request's arrival: that request's own delay (allowed up to 2 s
        // here) is the only slack. How close to the rate the cluster gets depends on the machine, and is not asserted
        // (BENCHMARKS.md has the figures); that the limiter grants what the rate allows is RedisDomainLimiterTests'.
        const double rate = 20;
        const int burst = 2;
        times.Length.ShouldBeLessThanOrEqualTo((int)(burst + (rate * (span + 2))), "20 requests/s from the three workers together");

        var expected = SandboxSite.ReachablePaths(siteOptions);
        var fetches = TestSites.PageFetches(site, siteOptions);
        fetches.Keys.ShouldBe(expected, ignoreOrder: true);
        fetches.Values.ShouldAllBe(count => count == 1);
        output.WriteLine("pages by worker: " + string.Join(", ", log.Where(r => expected.Contains(r.PathAndQuery)).CountBy(r => r.UserAgent ?? "none").Select(pair => $"{pair.Key} {pair.Value}")));
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

        // What the limit guarantees: never more than two at once, and every page fetched, once. Which worker fetched
        // which page is up to the scheduler (one busy worker may take them all), and that two slots are really granted
        // at once is RedisDomainLimiterTests'.
        var slow = site.RequestLog().Where(r => r.PathAndQuery.StartsWith("/trap/slow")).ToList();
        output.WriteLine($"peak {site.PeakConcurrentRequests}; slow pages by worker: {string.Join(", ", slow.CountBy(r => r.UserAgent ?? "none").Select(pair => $"{pair.Key} {pair.Value}"))}");
        site.PeakConcurrentRequests.ShouldBeLessThanOrEqualTo(2, "never more than 2 at once");
        slow.Count.ShouldBe(3 * perWorker);
        slow.Select(r => r.PathAndQuery).Distinct().Count().ShouldBe(3 * perWorker, "each page fetched once");
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
