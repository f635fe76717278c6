using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Trawl.Jobs;

namespace Trawl.Bench.Jobs;

/// <summary>
/// <c>open DIR</c>: times the steps a resumed crawl takes before its first request, inside one process and without
/// the runtime's start-up: opening the job (with its integrity check), counting, and the first lease. The job is
/// changed (a lease epoch, one request leased), so run it on a copy.
/// </summary>
internal static class OpenCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("directory") { Description = "The job directory (a copy: opening changes it)." };
        var fullCheck = new Option<long?>("--full-check-max-bytes") { Description = "JobStoreOptions.FullCheckMaxBytes (default: the library's default).", HelpName = "BYTES" };
        var lease = new Option<int>("--lease") { Description = "How many requests the first lease asks for (default 64, as the engine's look-ahead).", DefaultValueFactory = _ => 64, HelpName = "N" };

        var command = new Command("open", "Time opening a job, counting it, and its first lease.") { directory, fullCheck, lease };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(directory)!, parse.GetValue(fullCheck), parse.GetValue(lease), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string directory, long? fullCheckMaxBytes, int leaseSize, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(directory, "job.db")))
        {
            await Console.Error.WriteLineAsync($"open: {directory} holds no job.");
            return 2;
        }

        var options = new JobStoreOptions { SpiderName = "bench", SettingsFingerprint = "bench-seed" };
        if (fullCheckMaxBytes is { } max)
        {
            options.FullCheckMaxBytes = max;
        }

        var clock = Stopwatch.StartNew();
        var job = await JobStore.OpenAsync(directory, options, cancellationToken);
        var opened = clock.Elapsed;
        var counts = await job.Frontier.GetCountsAsync(cancellationToken);
        var counted = clock.Elapsed;
        var leases = await job.Frontier.TryLeaseAsync(leaseSize, cancellationToken);
        var leased = clock.Elapsed;
        await job.DisposeAsync();
        var closed = clock.Elapsed;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"open_ms={opened.TotalMilliseconds:F1} counts_ms={(counted - opened).TotalMilliseconds:F1} lease_ms={(leased - counted).TotalMilliseconds:F1} close_ms={(closed - leased).TotalMilliseconds:F1} pending={counts.Pending} leased={leases.Count}"));
        return 0;
    }
}
