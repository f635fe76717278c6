using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Trawl.Cli.Bench;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;

namespace Trawl.Bench.Jobs;

/// <summary>
/// <c>simulate --frontier memory|sqlite</c>: the frontier's share of a crawl, without HTTP or parsing. It crawls a
/// virtual site shaped like the sandbox's (page i links to i+1 and to K-1 pseudo-random pages) the way the engine
/// drives a frontier: lease up to 64, complete each page as done with its links and one item, and commit completions
/// in groups of up to 512. Reports pages/s and the time spent in each frontier call, so the cost of the job store per
/// page can be compared with the in-memory frontier's.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var frontier = new Option<string>("--frontier") { Description = "memory or sqlite.", Required = true, HelpName = "KIND" };
        frontier.AcceptOnlyFromAmong("memory", "sqlite");
        var directory = new Option<string?>("--dir") { Description = "The job directory for sqlite; it must not exist (default: a new temporary directory, removed after).", HelpName = "DIR" };
        var pages = new Option<int>("--pages") { Description = "Pages of the virtual site (default 50000).", DefaultValueFactory = _ => 50_000, HelpName = "N" };
        var links = new Option<int>("--links") { Description = "Links on each page (default 10).", DefaultValueFactory = _ => 10, HelpName = "K" };
        var lease = new Option<int>("--lease") { Description = "Requests per lease (default 64, the engine's look-ahead at concurrency 16).", DefaultValueFactory = _ => 64, HelpName = "N" };
        var commit = new Option<int>("--commit") { Description = "Completions per commit (default 512, the engine's largest group).", DefaultValueFactory = _ => 512, HelpName = "N" };

        var filterSeen = new Option<bool>("--filter-seen") { Description = "Experiment: drop links already discovered before handing them to the frontier, as an in-memory seen filter in front of it would." };

        var command = new Command("simulate", "Drive a frontier through a virtual crawl, without HTTP, and time its calls.") { frontier, directory, pages, links, lease, commit, filterSeen };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(frontier)!, parse.GetValue(directory), parse.GetValue(pages), parse.GetValue(links), parse.GetValue(lease), parse.GetValue(commit), parse.GetValue(filterSeen), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string kind, string? directory, int pages, int links, int leaseSize, int commitSize, bool filterSeen, CancellationToken cancellationToken)
    {
        if (pages < 1 || links < 1 || leaseSize < 1 || commitSize < 1)
        {
            await Console.Error.WriteLineAsync("simulate: --pages, --links, --lease and --commit must be positive.");
            return 2;
        }

        var temporary = kind == "sqlite" && directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "trawl-simulate-" + Guid.NewGuid().ToString("N"));
        if (kind == "sqlite" && Path.Exists(directory))
        {
            await Console.Error.WriteLineAsync($"simulate: {directory} exists; give a new directory.");
            return 2;
        }

        var root = new Uri("http://127.0.0.1:8080/");
        var cpu = ProcessFigures.CpuTime();
        var clock = Stopwatch.StartNew();
        IFrontier frontier = kind == "memory"
            ? new MemoryFrontier()
            : (await JobStore.OpenAsync(directory, new JobStoreOptions { SpiderName = "bench" }, cancellationToken)).Frontier;
        var timings = new Timings();
        HashSet<int>? seen = filterSeen ? [0] : null;
        long fetched = 0;
        try
        {
            await frontier.AddAsync([PageRequest(root, 0)], cancellationToken);
            var completions = new List<Completion>(commitSize);
            while (true)
            {
                var start = clock.Elapsed;
                var leases = await frontier.TryLeaseAsync(leaseSize, cancellationToken);
                timings.Lease += clock.Elapsed - start;
                if (leases.Count == 0)
                {
                    // Starved: the engine commits at once, for the links the pending completions discovered.
                    if (completions.Count == 0)
                    {
                        break;
                    }

                    await CommitAsync(frontier, completions, timings, clock, cancellationToken);
                    continue;
                }

                start = clock.Elapsed;
                foreach (var lease in leases)
                {
                    var page = int.Parse(lease.Request.Url.Segments[^1], CultureInfo.InvariantCulture);
                    var item = Encoding.UTF8.GetBytes($"{{\"url\":\"{lease.Request.Url.AbsoluteUri}\"}}");
                    completions.Add(Completion.Done(lease, 200, Links(root, page, pages, links, seen), [item]));
                }

                timings.Build += clock.Elapsed - start;
                fetched += leases.Count;
                if (completions.Count >= commitSize)
                {
                    await CommitAsync(frontier, completions, timings, clock, cancellationToken);
                }
            }

            var counts = await frontier.GetCountsAsync(cancellationToken);
            var elapsed = clock.Elapsed;
            var used = ProcessFigures.CpuTime() - cpu;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"simulated frontier={kind} filter_seen={filterSeen} pages={fetched} done={counts.Done} seconds={elapsed.TotalSeconds:F2} pages_per_s={fetched / elapsed.TotalSeconds:F0} cpu_ms_per_page={used.TotalMilliseconds / fetched:F4} lease_ms={timings.Lease.TotalMilliseconds:F0} complete_ms={timings.Complete.TotalMilliseconds:F0} build_ms={timings.Build.TotalMilliseconds:F0} commits={timings.Commits} vmhwm_mib={ProcessFigures.PeakResidentKib() / 1024.0:F1}"));
            return counts.Done == pages ? 0 : 1;
        }
        finally
        {
            await frontier.DisposeAsync();
            if (temporary && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static async Task CommitAsync(IFrontier frontier, List<Completion> completions, Timings timings, Stopwatch clock, CancellationToken cancellationToken)
    {
        var start = clock.Elapsed;
        await frontier.CompleteAsync(completions, cancellationToken);
        timings.Complete += clock.Elapsed - start;
        timings.Commits++;
        completions.Clear();
    }

    // Like the sandbox site: the next page, then pseudo-random ones, the same every run.
    private static List<Request> Links(Uri root, int page, int pages, int links, HashSet<int>? seen)
    {
        var random = new Random(page);
        var found = new List<Request>(links);
        for (var i = 0; i < links; i++)
        {
            var target = i == 0 ? (page + 1) % pages : random.Next(pages);
            if (seen is null || seen.Add(target))
            {
                found.Add(PageRequest(root, target));
            }
        }

        return found;
    }

    private static Request PageRequest(Uri root, int page) => new(new Uri(root, string.Create(CultureInfo.InvariantCulture, $"pages/{page}")));

    private sealed class Timings
    {
        public TimeSpan Lease { get; set; }

        public TimeSpan Complete { get; set; }

        public TimeSpan Build { get; set; }

        public int Commits { get; set; }
    }
}
