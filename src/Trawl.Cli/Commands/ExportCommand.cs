using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Trawl.Cli.Hosting;
using Trawl.Engine;
using Trawl.Items;
using Trawl.Redis;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl export</c>: writes every item of a crawl shared on Redis to a file, each exactly once. It works like a job's
/// exporter: it checkpoints how far it has written (in Redis, named by this host and the file), so a run after a crash
/// cuts a torn last line off and goes on; <c>--follow</c> keeps writing items as workers commit them.
/// </summary>
internal static class ExportCommand
{
    private const int PageSize = 256;

    public static Command Create(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var file = new Option<string>("--output", "-o") { Description = "Write the crawl's items to FILE; running again appends only the items it lacks.", HelpName = "FILE", Required = true };
        var format = new Option<string?>("--format") { Description = "jsonl, json or csv (default: by the extension of FILE, as for 'trawl crawl -o').", HelpName = "FORMAT" };
        var follow = new Option<bool>("--follow") { Description = "Keep exporting items as workers commit them, until the crawl is finished or Ctrl+C." };
        var command = new Command("export", "Write every item of a crawl shared on Redis to a file, each exactly once; resumable.") { file, format, follow };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            var itemFormat = FormatOf(path, parse.GetValue(format));
            try
            {
                await Trawl.Jobs.JobDirectory.ThrowIfOutputOfAnotherJobAsync(path, jobDirectory: null, cancellationToken).ConfigureAwait(false);
                ItemExporters.CheckWritable(path);
            }
            catch (ItemExportException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
            return await ExportAsync(crawl, path, itemFormat, parse.GetValue(follow), output, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static ItemFormat FormatOf(string path, string? format)
    {
        switch (format?.Trim().ToLowerInvariant())
        {
            case null:
                try
                {
                    return ItemExporters.FormatOf(path);
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException($"{ex.Message} Or name the format with --format jsonl, json or csv.");
                }

            case "jsonl" or "ndjson":
                return ItemFormat.JsonLines;
            case "json":
                return ItemFormat.Json;
            case "csv":
                return ItemFormat.Csv;
            default:
                throw new CliUsageException($"Invalid --format '{format}': use jsonl, json or csv.");
        }
    }

    // The item feed of a crawl's own output, fed from the whole crawl's item log: it resumes the file at its checkpoint
    // (cutting off a torn tail) and replays the items after it; with --follow, new items are handed to it as they come.
    private static async Task<int> ExportAsync(RedisCrawlAdmin crawl, string path, ItemFormat format, bool follow, TextWriter output, CancellationToken cancellationToken)
    {
        var name = crawl.Keys.SpiderName;
        var checkpoint = await crawl.Items.GetExportCheckpointAsync(path, cancellationToken).ConfigureAwait(false);
        if (checkpoint.IsRecorded && !File.Exists(path))
        {
            // The file this checkpoint describes is gone (deleted, or another run wrote it elsewhere): start it over.
            await crawl.Items.SetExportCheckpointAsync(path, default, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"{path} is gone; writing every item of crawl '{name}' again.").ConfigureAwait(false);
        }

        using var loggerFactory = CliLogging.Create(LogLevel.Warning, LogLevel.Warning, logFile: null);
        using var stop = new CancellationTokenSource();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var signals = new StopSignals(stop, abort, listen: follow);
        var options = new ItemFeedOptions { Output = path, Format = format, ItemLog = crawl.Items, Logger = loggerFactory.CreateLogger("trawl.export") };
        if (follow)
        {
            await output.WriteLineAsync($"Following crawl '{name}' on {crawl.Endpoint} into {path} until it is finished; Ctrl+C stops.").ConfigureAwait(false);
        }

        await using var feed = await StartFeedAsync(options, abort.Token).ConfigureAwait(false);
        if (feed is null)
        {
            await output.WriteLineAsync($"Stopped by {signals.Received} at once; run the same command to go on.").ConfigureAwait(false);
            return ExitCodes.Paused;
        }

        var finished = follow && await FollowAsync(crawl, feed, stop.Token).ConfigureAwait(false);

        try
        {
            await feed.CompleteAsync(finished: true, abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            await output.WriteLineAsync($"Stopped by {signals.Received} at once; run the same command to go on.").ConfigureAwait(false);
            return ExitCodes.Paused;
        }

        var written = string.Create(CultureInfo.InvariantCulture, $"Exported {feed.Exported:N0} new items of crawl '{name}' to {path} (through item {feed.LastSequence:N0})");
        if (feed.DroppedByError > 0)
        {
            written += string.Create(CultureInfo.InvariantCulture, $"; {feed.DroppedByError:N0} were not JSON objects and were left out");
        }

        if (feed.Failed > 0)
        {
            written += string.Create(CultureInfo.InvariantCulture, $"; {feed.Failed:N0} could not be written and were left out (see the log)");
        }

        if (follow && !finished)
        {
            await output.WriteLineAsync($"{written}. Stopped by {signals.Received}; run the same command to go on.").ConfigureAwait(false);
            return ExitCodes.Paused;
        }

        await output.WriteLineAsync(written + (follow ? ". The crawl is finished." : ".")).ConfigureAwait(false);
        return ExitCodes.Finished;
    }

    // Writes the items the file lacks. A first Ctrl+C lets this catch-up finish, so the file is then completed (a JSON
    // array closed); a second stops it at once and returns null: every batch written is checkpointed, the next run goes on.
    private static async Task<ItemFeed?> StartFeedAsync(ItemFeedOptions options, CancellationToken abort)
    {
        try
        {
            return await ItemFeed.StartAsync(options, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            return null;
        }
    }

    // Returns true when the crawl finished, false when stopped.
    private static async Task<bool> FollowAsync(RedisCrawlAdmin crawl, ItemFeed feed, CancellationToken stop)
    {
        var after = feed.LastSequence;
        try
        {
            while (true)
            {
                var page = await crawl.Items.ReadItemsAsync(after, PageSize, stop).ConfigureAwait(false);
                if (page.Count > 0)
                {
                    // Not cancelled by the stop: items read are handed over, and written before the feed completes.
                    await feed.WriteAsync(page, CancellationToken.None).ConfigureAwait(false);
                    after = page[^1].Sequence;
                }
                else if (!await crawl.WaitToReadItemsAsync(after, stop).ConfigureAwait(false))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
    }
}
