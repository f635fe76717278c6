using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Trawl.Cli.Bench;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Jobs;
using Trawl.Spiders.Declarative;

namespace Trawl.Bench.Jobs;

/// <summary>
/// <c>crawl --frontier memory|sqlite --start URL</c>: the crawl <c>trawl crawl</c> runs (a declarative spider that
/// follows every link under the start URL's <c>/pages/</c> and writes one item per page), in-process, over a frontier
/// wrapped in <see cref="TimedFrontier"/>, to see how long the engine's dispatch loop waits for leases and its commit
/// loop for commits. The sqlite frontier is a job store opened on a new directory, like <c>--jobdir</c> (without the
/// spider state and cookies a CLI job also saves with each commit). The job frontier is <c>--jobdir</c> exactly as the
/// CLI runs it (<see cref="CrawlOptions.JobDir"/>, with its spider state and cookies), without the timings.
/// Allocated bytes are this process's (<see cref="GC.GetTotalAllocatedBytes(bool)"/>) over the crawl, per page.
/// </summary>
internal static class CrawlCommand
{
    public static Command Create()
    {
        var frontier = new Option<string>("--frontier") { Description = "memory, sqlite (a timed job store) or job (--jobdir as the CLI runs it, untimed).", Required = true, HelpName = "KIND" };
        frontier.AcceptOnlyFromAmong("memory", "sqlite", "job");
        var start = new Option<string>("--start") { Description = "The sandbox site's home page, for example http://127.0.0.1:8080/.", Required = true, HelpName = "URL" };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight (default 16).", DefaultValueFactory = _ => 16, HelpName = "N" };
        var perDomain = new Option<int>("--concurrency-per-domain") { Description = "Requests in flight to one domain (default 8).", DefaultValueFactory = _ => 8, HelpName = "N" };
        var checkpoint = new Option<double>("--checkpoint-interval") { Description = "Seconds (default 1).", DefaultValueFactory = _ => 1, HelpName = "SECONDS" };
        var leaseAhead = new Option<int>("--lease-ahead") { Description = "Experiment: lease at least N at a time and hand them out from memory (default 0: off).", HelpName = "N" };
        var work = new Option<string?>("--work") { Description = "Where the job and the items go; it must not exist or be empty (default: a new temporary directory, removed after).", HelpName = "DIR" };

        var command = new Command("crawl", "Crawl in-process over a timed memory or SQLite frontier.") { frontier, start, concurrency, perDomain, checkpoint, leaseAhead, work };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(frontier)!, parse.GetValue(start)!, parse.GetValue(concurrency), parse.GetValue(perDomain), parse.GetValue(checkpoint), parse.GetValue(leaseAhead), parse.GetValue(work), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string kind, string start, int concurrency, int perDomain, double checkpointSeconds, int leaseAhead, string? work, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(start, UriKind.Absolute, out var home))
        {
            await Console.Error.WriteLineAsync($"crawl: --start '{start}' is not an absolute URL.");
            return 2;
        }

        var temporary = work is null;
        work ??= Path.Combine(Path.GetTempPath(), "trawl-bench-crawl-" + Guid.NewGuid().ToString("N"));
        if (File.Exists(work) || (Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any()))
        {
            await Console.Error.WriteLineAsync($"crawl: {work} is not an empty directory; give a new one.");
            return 2;
        }

        Directory.CreateDirectory(work);
        try
        {
            return await CrawlAsync(kind, home, concurrency, perDomain, checkpointSeconds, leaseAhead, work, cancellationToken);
        }
        finally
        {
            if (temporary)
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static async Task<int> CrawlAsync(string kind, Uri home, int concurrency, int perDomain, double checkpointSeconds, int leaseAhead, string work, CancellationToken cancellationToken)
    {
        var spider = new DeclarativeSpider(new DeclarativeSpiderDefinition
        {
            Name = "bench",
            Start = [home.AbsoluteUri],
            Allow = ["^" + System.Text.RegularExpressions.Regex.Escape(new Uri(home, "/pages/").AbsoluteUri)],
        });

        var cpu = ProcessFigures.CpuTime();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var paused = GC.GetTotalPauseDuration();
        TimedFrontier? timed;
        if (kind == "job")
        {
            timed = null;
        }
        else if (kind == "memory")
        {
            var memory = new MemoryFrontier();
            timed = new TimedFrontier(leaseAhead > 0 ? new LeaseAheadFrontier(memory, leaseAhead) : memory);
        }
        else
        {
            var job = (await JobStore.OpenAsync(Path.Combine(work, "job"), new JobStoreOptions { SpiderName = "bench" }, cancellationToken)).Frontier;
            timed = leaseAhead > 0
                ? new TimedDurableFrontier<LeaseAheadDurableFrontier<SqliteFrontier>>(new LeaseAheadDurableFrontier<SqliteFrontier>(job, leaseAhead))
                : new TimedDurableFrontier<SqliteFrontier>(job);
        }
        var options = new CrawlOptions
        {
            JobDir = timed is null ? Path.Combine(work, "job") : null,
            Output = Path.Combine(work, "items.jsonl"),
            Concurrency = concurrency,
            ConcurrencyPerDomain = perDomain,
            CheckpointInterval = TimeSpan.FromSeconds(checkpointSeconds),
            HandleSignals = false,
        };
        CrawlResult result;
        if (timed is null)
        {
            result = await spider.RunAsync(options, cancellationToken);
        }
        else
        {
            await using (timed)
            {
                result = await new CrawlerBuilder(spider, options).UseFrontier(timed).Build().RunAsync(cancellationToken);
            }
        }

        var used = ProcessFigures.CpuTime() - cpu;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var stats = result.Stats;
        var wall = stats.Elapsed.TotalMilliseconds;
        var timings = string.Empty;
        if (timed is not null)
        {
            timings = string.Create(CultureInfo.InvariantCulture,
            $"lease_calls={timed.Lease.Calls} lease_ms={timed.Lease.Total.TotalMilliseconds:F0} lease_share={timed.Lease.Total.TotalMilliseconds / wall:F3} lease_max_ms={timed.Lease.Max.TotalMilliseconds:F1} "
            + $"wait_ms={timed.WaitToLease.Total.TotalMilliseconds:F0} "
            + $"commit_calls={timed.Complete.Calls} commit_ms={timed.Complete.Total.TotalMilliseconds:F0} commit_share={timed.Complete.Total.TotalMilliseconds / wall:F3} commit_max_ms={timed.Complete.Max.TotalMilliseconds:F1} ");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"crawled frontier={kind} lease_ahead={leaseAhead} pages={stats.Pages} seconds={stats.Elapsed.TotalSeconds:F2} pages_per_s={stats.Pages / stats.Elapsed.TotalSeconds:F0} cpu_ms_per_page={used.TotalMilliseconds / stats.Pages:F4} "
            + $"alloc_kib_per_page={allocated / 1024.0 / stats.Pages:F1} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} gc_pause_ms={(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} {timings}"
            + $"vmhwm_mib={ProcessFigures.PeakResidentKib() / 1024.0:F1}"));
        return result.Paused ? 1 : 0;
    }
}
