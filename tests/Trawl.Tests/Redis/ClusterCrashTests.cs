using System.Text.Json;
using Trawl.Cli;
using Trawl.Frontier;
using Trawl.Redis;
using Trawl.Sandbox;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Redis;

/// <summary>
/// The cluster crash test runs alone: three crawler processes and the sandbox site (in this process) load the machine
/// enough to hold back other tests' lease heartbeats and timings, and theirs would blur its own.
/// </summary>
[CollectionDefinition(nameof(ClusterCrashCollection), DisableParallelization = true)]
public sealed class ClusterCrashCollection;

/// <summary>
/// The cluster's crash promise, end to end: three real <c>trawl crawl --frontier</c> processes share a crawl of the
/// 10,000-page sandbox site on a real redis-server (AOF, fsync on every write). Mid-crawl one worker is SIGKILLed and
/// started again with the same output, and Redis itself is killed and restarted; when every worker has exited, the
/// three output files together hold each page's item exactly once.
/// </summary>
[Collection(nameof(ClusterCrashCollection))]
public sealed class ClusterCrashTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const int Workers = 3;

    // The suite crawls the full 10,000 pages; TRAWL_CLUSTER_CRASH_PAGES changes it (bench runs, debugging).
    private static readonly int Pages = int.TryParse(Environment.GetEnvironmentVariable("TRAWL_CLUSTER_CRASH_PAGES"), out var pages) ? pages : 10_000;
    // The moments of the crashes come from this seed; TRAWL_CLUSTER_CRASH_SEED picks others.
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("TRAWL_CLUSTER_CRASH_SEED"), out var seed) ? seed : 2026;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);
    private RedisServer? _redis;

    private RedisServer Redis => _redis!;

    public async Task InitializeAsync() => _redis = await RedisServer.StartAsync(new RedisServerOptions { AppendOnly = true });

    public async Task DisposeAsync() => await Redis.DisposeAsync();

    [Fact]
    public async Task ThreeWorkers_OneKilledAndRedisRestarted_EveryItemInExactlyOneOutputOnce()
    {
        var seed = Seed;
        var siteOptions = new SandboxOptions { Pages = Pages, QuotePages = 0, PageSize = 1024, Seed = 31, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var name = $"crash-{Guid.NewGuid():N}";
        var random = new Random(seed);
        var victim = random.Next(Workers);

        // Seeded moments while most of the work remains: the kill, the victim's restart, and Redis's restart, each
        // after the site has served some share of the pages.
        var killAt = random.Next(Pages / 10, Pages / 4);
        var restartVictimAt = killAt + random.Next(Pages / 50, Pages / 10);
        var restartRedisAt = random.Next(Pages / 8, Pages / 2);
        log.WriteLine($"seed {seed}: kill worker {victim} at {killAt} requests, start it again at {restartVictimAt}, restart Redis at {restartRedisAt}");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Workers).Select(i => CliProcess.Start(temp.Path, WorkerArgs(site, name, i))).ToList();
        var killed = new List<CliProcess>();
        try
        {
            var moments = new (int At, string What, Func<Task> Act)[]
            {
                (killAt, $"worker {victim} killed", async () =>
                {
                    await workers[victim].KillAsync();
                    killed.Add(workers[victim]);
                }),
                (restartVictimAt, $"worker {victim} started again", () =>
                {
                    workers[victim] = CliProcess.Start(temp.Path, WorkerArgs(site, name, victim));
                    return Task.CompletedTask;
                }),
                (restartRedisAt, "Redis killed and restarted", () => Redis.RestartAsync()),
            };
            foreach (var (at, what, act) in moments.OrderBy(m => m.At))
            {
                await WaitUntilAsync(() => site.TotalRequests >= at || workers.Except(killed).Any(w => w.HasExited));
                workers.Except(killed).ShouldNotContain(w => w.HasExited, $"a worker ended before '{what}': {Describe(workers)}");
                await act();
                log.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s: {what} after {site.TotalRequests} requests");
            }

            for (var i = 0; i < Workers; i++)
            {
                var exit = await workers[i].WaitAsync(RunTimeout);
                log.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s: worker {i}: exit {exit}\n{workers[i].Output}{workers[i].Error}");
                exit.ShouldBe(ExitCodes.Finished, $"worker {i}: {workers[i].Output}{workers[i].Error}");
            }
        }
        finally
        {
            foreach (var worker in workers.Concat(killed))
            {
                worker.Dispose();
            }
        }

        var expected = SandboxSite.ReachablePaths(siteOptions);
        RedisCrawlStatus status;
        await using (var admin = await RedisCrawlAdmin.ConnectAsync(new RedisCrawlOptions { Url = Redis.Url, SpiderName = name }, CancellationToken.None))
        {
            status = await admin.GetStatusAsync(CancellationToken.None);
        }

        log.WriteLine($"Redis: {status.Counts}, {status.Items} items, {status.LeasesGranted} leases granted, {status.LeasesExpired} expired");
        status.Counts.ShouldBe(new FrontierCounts(Pending: 0, InProgress: 0, Done: expected.Count, Failed: 0, Skipped: 0));
        status.Items.ShouldBe(expected.Count, "each page committed its item once");
        status.LeasesExpired.ShouldBe(0, "no lease was stranded: the killed run's came back when it restarted, and none was lost with a reply");

        var items = Enumerable.Range(0, Workers).SelectMany(i => ReadItems(temp.File(Output(i)), i)).ToList();
        var duplicates = items.GroupBy(item => item.Path).Where(group => group.Count() > 1).Select(group => $"{group.Key} in {string.Join(", ", group.Select(g => Output(g.Worker)))}").ToList();
        duplicates.ShouldBeEmpty("no page's item is in the outputs twice");
        expected.Except(items.Select(item => item.Path)).ShouldBeEmpty("every page's item is in some output");
        items.Count.ShouldBe(expected.Count);
        log.WriteLine($"items by worker: {string.Join(", ", Enumerable.Range(0, Workers).Select(i => items.Count(item => item.Worker == i)))}");

        // A page is fetched again only if the killed worker had fetched it and not committed it: at most twice, and
        // only pages whose lease was granted again (the killed run's, taken back when it restarted).
        var fetches = TestSites.PageFetches(site, siteOptions);
        fetches.Count.ShouldBe(expected.Count);
        var refetched = fetches.Values.Sum(count => count - 1);
        log.WriteLine($"pages fetched twice: {refetched}; most fetches of a page: {fetches.Values.Max()}");
        fetches.Values.Max().ShouldBeLessThanOrEqualTo(2);
        refetched.ShouldBeLessThanOrEqualTo((int)(status.LeasesGranted - expected.Count));
    }

    private static string Output(int worker) => $"worker-{worker}.jsonl";

    private string[] WorkerArgs(SandboxServer site, string name, int worker) =>
    [
        "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
        "--name", name, "--frontier", Redis.Url, "--idle-timeout", "2", "-o", Output(worker),
        "--concurrency", "8", "--no-progress", "--log-level", "warning", "--checkpoint-interval", "0.2",
    ];

    // Every line must be a whole JSON object: a torn line left by the kill must have been cut off on restart.
    private static IEnumerable<(string Path, int Worker)> ReadItems(string output, int worker)
    {
        var lines = File.ReadAllLines(output);
        for (var i = 0; i < lines.Length; i++)
        {
            string url;
            try
            {
                url = JsonDocument.Parse(lines[i]).RootElement.GetProperty("url").GetString()!;
            }
            catch (JsonException ex)
            {
                throw new ShouldAssertException($"{Path.GetFileName(output)} line {i + 1} is not a whole item ({ex.Message}): {lines[i]}");
            }

            yield return (new Uri(url).AbsolutePath, worker);
        }
    }

    private static string Describe(IEnumerable<CliProcess> workers) => string.Join("\n", workers.Select(w => w.Output + w.Error));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + RunTimeout;
        while (!condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, "timed out waiting for the crawl");
            await Task.Delay(5);
        }
    }
}
