using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Trawl.Cli.Bench;
using Trawl.Http;
using Trawl.Jobs;

namespace Trawl.Bench.Jobs;

/// <summary>
/// <c>seed DIR --pending N</c>: creates a job whose frontier holds N pending requests, added in batches through the
/// real <see cref="SqliteFrontier.AddAsync"/>, and reports the time taken, the peak RSS and the job's size on disk.
/// </summary>
internal static class SeedCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("directory") { Description = "The job directory to create; it must not hold a job yet." };
        var pending = new Option<long>("--pending") { Description = "How many pending requests to add.", Required = true, HelpName = "N" };
        var batch = new Option<int>("--batch") { Description = "Requests per AddAsync call, one transaction each (default 50000).", DefaultValueFactory = _ => 50_000, HelpName = "N" };
        var baseUrl = new Option<string>("--base-url") { Description = "Requests are BASE/pages/{i} (default http://127.0.0.1:8080/).", DefaultValueFactory = _ => "http://127.0.0.1:8080/", HelpName = "URL" };
        var spider = new Option<string>("--spider") { Description = "The spider name recorded in the job (default bench).", DefaultValueFactory = _ => "bench", HelpName = "NAME" };

        var command = new Command("seed", "Create a job whose frontier holds N pending requests.") { directory, pending, batch, baseUrl, spider };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(directory)!, parse.GetValue(pending), parse.GetValue(batch), parse.GetValue(baseUrl)!, parse.GetValue(spider)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string directory, long pending, int batchSize, string baseUrl, string spiderName, CancellationToken cancellationToken)
    {
        if (pending < 1 || batchSize < 1)
        {
            await Console.Error.WriteLineAsync("seed: --pending and --batch must be positive.");
            return 2;
        }

        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var root))
        {
            await Console.Error.WriteLineAsync($"seed: --base-url '{baseUrl}' is not an absolute URL.");
            return 2;
        }

        var options = new JobStoreOptions
        {
            SpiderName = spiderName,
            SettingsFingerprint = "bench-seed",
            StartUrlsJson = JsonSerializer.Serialize(new[] { root.AbsoluteUri }),
        };

        var clock = Stopwatch.StartNew();
        await using (var job = await JobStore.OpenAsync(directory, options, cancellationToken))
        {
            if (!job.IsNew)
            {
                await Console.Error.WriteLineAsync($"seed: {job.Directory} already holds a job; seed a new directory.");
                return 2;
            }

            long added = 0;
            var reportEvery = Math.Max(pending / 10, batchSize);
            var nextReport = reportEvery;
            var batch = new List<Request>(batchSize);
            for (long i = 0; i < pending; i += batchSize)
            {
                batch.Clear();
                var end = Math.Min(pending, i + batchSize);
                for (var n = i; n < end; n++)
                {
                    batch.Add(new Request(new Uri(root, string.Create(CultureInfo.InvariantCulture, $"pages/{n}"))));
                }

                added += await job.Frontier.AddAsync(batch, cancellationToken);
                if (end >= nextReport && end < pending)
                {
                    nextReport += reportEvery;
                    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"seed: {end:N0} added after {clock.Elapsed.TotalSeconds:F1} s, RSS {ProcessFigures.ResidentKib() / 1024} MiB"));
                }
            }

            var counts = await job.Frontier.GetCountsAsync(cancellationToken);
            if (counts.Pending != pending)
            {
                await Console.Error.WriteLineAsync($"seed: expected {pending} pending requests, the job holds {counts.Pending}.");
                return 1;
            }

            directory = job.Directory;
        }

        // Closing the store checkpoints the write-ahead log into job.db, so the size below is the job as it rests.
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded pending={pending} seconds={seconds:F2} rate={pending / seconds:F0}/s vmhwm_mib={ProcessFigures.PeakResidentKib() / 1024.0:F1} disk_mib={ProcessStats.Mib(ProcessStats.DirectoryBytes(directory))}"));
        return 0;
    }
}
