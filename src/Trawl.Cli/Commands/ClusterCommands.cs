using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Trawl.Cli.Hosting;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;
using Trawl.Redis;

namespace Trawl.Cli.Commands;

/// <summary>
/// The commands that act on a crawl shared on Redis from outside its workers: <c>trawl seed</c>, <c>pause</c>,
/// <c>resume</c>, <c>export</c>, and <c>trawl status --frontier</c> (registered by <see cref="JobCommands.Status"/>).
/// </summary>
internal static class ClusterCommands
{
    private const int ExportPageSize = 256;

    public static Command Seed(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var seeds = new Argument<string[]>("seed")
        {
            Description = "A URL to crawl, or a JSON request {\"url\":…,\"meta\":{…},\"priority\":N} as start_urls takes (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var file = new Option<string?>("--file") { Description = "Also read seeds from FILE, one per line (blank lines and # comments are skipped).", HelpName = "FILE" };
        var priority = new Option<int?>("--priority") { Description = "The priority of the plain URLs seeded, higher first (default 0); a JSON request gives its own.", HelpName = "N" };
        var command = new Command("seed", "Add start requests to a crawl shared on Redis; its workers pick them up while they run.") { seeds, file, priority };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Every seed is checked before anything is sent, so a typo seeds nothing.
            var requests = ParseSeeds(parse.GetValue(seeds) ?? [], parse.GetValue(file), parse.GetValue(priority) ?? 0);
            await using var crawl = await target.OpenAsync(parse, mayCreate: true, cancellationToken).ConfigureAwait(false);
            var added = await crawl.SeedAsync(requests, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(Invariant(
                $"Seeded {requests.Count:N0} requests into crawl '{crawl.Keys.SpiderName}' on {crawl.Endpoint}: {added:N0} new, {requests.Count - added:N0} already seen.")).ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    public static Command Pause(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var command = new Command("pause", "Pause every worker of a crawl shared on Redis: they finish the requests in flight, hand back the rest and wait.");
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
            var name = crawl.Keys.SpiderName;
            if (await crawl.IsClusterPausedAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync($"Crawl '{name}' on {crawl.Endpoint} is already paused; 'trawl resume' releases it.").ConfigureAwait(false);
                return ExitCodes.Finished;
            }

            await crawl.PauseClusterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Paused crawl '{name}' on {crawl.Endpoint}: its workers finish the requests in flight, hand back the rest and wait; 'trawl resume' releases them.").ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    public static Command Resume(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var command = new Command("resume", "Resume a crawl shared on Redis that 'trawl pause' paused: its workers go on.");
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
            var name = crawl.Keys.SpiderName;
            if (!await crawl.IsClusterPausedAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync($"Crawl '{name}' on {crawl.Endpoint} is not paused.").ConfigureAwait(false);
                return ExitCodes.Finished;
            }

            await crawl.ResumeClusterAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Resumed crawl '{name}' on {crawl.Endpoint}: its workers go on.").ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    public static Command Export(TextWriter output)
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

    /// <summary><c>trawl status --frontier</c>: the whole crawl's state, read in one step.</summary>
    public static async Task<int> StatusAsync(ParseResult parse, ClusterTarget target, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
        var status = await crawl.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(ToJson(crawl.Endpoint, status), JobCommands.Json)).ConfigureAwait(false);
        }
        else
        {
            foreach (var line in StatusLines(crawl.Endpoint, status))
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        return ExitCodes.Finished;
    }

    private static List<Request> ParseSeeds(string[] arguments, string? file, int priority)
    {
        var messages = arguments.Select((text, index) => (Text: text.Trim(), Where: $"argument {index + 1}")).ToList();
        if (file is not null)
        {
            try
            {
                messages.AddRange(File.ReadLines(file)
                    .Select((line, index) => (Text: line.Trim(), Where: $"line {index + 1} of {file}"))
                    .Where(line => line.Text.Length > 0 && !line.Text.StartsWith('#')));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"Cannot read seed file '{file}': {ex.Message}");
            }
        }

        if (messages.Count == 0)
        {
            throw new CliUsageException("Nothing to seed: give URLs (or JSON requests) as arguments, or --file FILE.");
        }

        return [.. messages.Select(message => ParseSeed(message.Text, message.Where, priority))];
    }

    // The same two forms as start_urls messages: a URL, or a JSON request whose members RequestJson reads.
    private static Request ParseSeed(string text, string where, int priority)
    {
        Request request;
        if (text.StartsWith('{'))
        {
            if (!RedisFrontier.TryParseSeed(Encoding.UTF8.GetBytes(text), out request, out var reason))
            {
                throw new CliUsageException($"Invalid JSON seed ({where}): {reason}");
            }
        }
        else
        {
            try
            {
                request = new Request(text) { Priority = priority };
            }
            catch (ArgumentException)
            {
                throw new CliUsageException($"Invalid seed URL '{text}' ({where}): a seed is an absolute http:// or https:// URL, or a JSON request.");
            }
        }

        try
        {
            RequestMeta.Validate(request);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"Invalid seed ({where}): {ex.Message}");
        }

        return request;
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
    private static async Task<int> ExportAsync(RedisFrontier crawl, string path, ItemFormat format, bool follow, TextWriter output, CancellationToken cancellationToken)
    {
        var name = crawl.Keys.SpiderName;
        var log = new ExportItemLog(crawl);
        var checkpoint = await log.GetExportCheckpointAsync(path, cancellationToken).ConfigureAwait(false);
        if (checkpoint.Sequence > 0 && !File.Exists(path))
        {
            // The file this checkpoint describes is gone (deleted, or another run wrote it elsewhere): start it over.
            await log.SetExportCheckpointAsync(path, default, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"{path} is gone; writing every item of crawl '{name}' again.").ConfigureAwait(false);
        }

        using var loggerFactory = CliLogging.Create(LogLevel.Warning, LogLevel.Warning, logFile: null);
        using var stop = new CancellationTokenSource();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var signals = new StopSignals(stop, abort, listen: follow);
        var options = new ItemFeedOptions { Output = path, Format = format, ItemLog = log, Logger = loggerFactory.CreateLogger("trawl.export") };
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

        var written = Invariant($"Exported {feed.Exported:N0} new items of crawl '{name}' to {path} (through item {feed.LastSequence:N0})");
        if (feed.DroppedByError > 0)
        {
            written += Invariant($"; {feed.DroppedByError:N0} were not JSON objects and were left out");
        }

        if (feed.Failed > 0)
        {
            written += Invariant($"; {feed.Failed:N0} could not be written and were left out (see the log)");
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
    private static async Task<bool> FollowAsync(RedisFrontier crawl, ItemFeed feed, CancellationToken stop)
    {
        var after = feed.LastSequence;
        try
        {
            while (true)
            {
                var page = await crawl.ReadItemsAsync(after, ExportPageSize, stop).ConfigureAwait(false);
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

    private static object ToJson(string endpoint, RedisCrawlStatus status) => new
    {
        Frontier = endpoint,
        status.Spider,
        State = StateOf(status),
        status.Paused,
        status.Dedup,
        Counts = new
        {
            status.Counts.Pending,
            status.Delayed,
            status.Counts.InProgress,
            status.Counts.Done,
            status.Counts.Failed,
            status.Counts.Skipped,
            status.Counts.Total,
        },
        status.SeedsWaiting,
        status.InvalidSeeds,
        status.Items,
        status.LeasesGranted,
        status.LeasesExpired,
        status.Retries,
        status.DoneLast5Minutes,
        status.PagesPerSecond,
        LiveWorkers = status.Workers.Count(worker => worker.Live),
        Workers = status.Workers.Select(worker => new
        {
            worker.Id,
            worker.Host,
            Pid = worker.ProcessId,
            worker.Live,
            worker.LastSeen,
            worker.Leases,
            worker.Done,
        }),
        TopErrors = status.TopErrors.Select(error => new { error.Kind, error.Count }),
        status.At,
    };

    private static List<string> StatusLines(string endpoint, RedisCrawlStatus status)
    {
        var counts = status.Counts;
        var live = status.Workers.Where(worker => worker.Live).ToList();
        var lines = new List<string>
        {
            $"Crawl:     {status.Spider} on {endpoint} ({StateOf(status)})",
            Invariant($"Requests:  {counts.Total:N0} in all: {counts.Pending:N0} pending ({status.Delayed:N0} retries waiting), {counts.InProgress:N0} in progress, {counts.Done:N0} done, {counts.Failed:N0} failed, {counts.Skipped:N0} skipped"),
            Invariant($"Seeds:     {status.SeedsWaiting:N0} waiting in start_urls, {status.InvalidSeeds:N0} rejected"),
            Invariant($"Items:     {status.Items:N0}"),
            Invariant($"Rate:      {status.PagesPerSecond:N1} pages/s over the last 5 minutes ({status.DoneLast5Minutes:N0} done)"),
            Invariant($"Leases:    {status.LeasesGranted:N0} granted, {status.LeasesExpired:N0} expired; {status.Retries:N0} retries"),
            $"Dedup:     {status.Dedup}",
            Invariant($"Workers:   {live.Count:N0} live"),
        };
        lines.AddRange(live.Select(worker => Invariant(
            $"  {worker.Id}  {worker.Leases,6:N0} leases  {worker.Done,8:N0} done  seen {Ago(status.At - worker.LastSeen)} ago")));
        if (status.Workers.Count > live.Count)
        {
            lines.Add(Invariant($"  ({status.Workers.Count - live.Count:N0} more not heard from lately: stopped without leaving, or stalled)"));
        }

        if (status.TopErrors.Count > 0)
        {
            lines.Add("Top errors:");
            lines.AddRange(status.TopErrors.Select(error => Invariant($"  {error.Count,8:N0}  {error.Kind}")));
        }

        return lines;
    }

    private static string StateOf(RedisCrawlStatus status) =>
        status.Paused ? "paused"
        : status.Counts.Pending == 0 && status.Counts.InProgress == 0 && status.SeedsWaiting == 0 ? "finished"
        : "running";

    private static string Ago(TimeSpan span) =>
        span < TimeSpan.FromMinutes(2) ? Invariant($"{Math.Max(0, span.TotalSeconds):0}s") : Invariant($"{span.TotalMinutes:0}m");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The whole crawl's item log, with <c>trawl export</c>'s checkpoints kept apart from the workers' and named by this
    /// host as well as the file, since the same path on another machine is another file.
    /// </summary>
    private sealed class ExportItemLog(RedisFrontier crawl) : IItemLog
    {
        private readonly string _prefix = "export:" + Environment.MachineName + "|";

        public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken) =>
            crawl.ReadItemsAsync(afterSequence, max, cancellationToken);

        public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken) =>
            crawl.GetExportCheckpointAsync(_prefix + output, cancellationToken);

        public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken) =>
            crawl.SetExportCheckpointAsync(_prefix + output, checkpoint, cancellationToken);
    }
}

/// <summary>
/// The <c>--frontier</c> and <c>--name</c> options of the cluster commands, and connecting to the crawl they name: with no
/// <c>--name</c>, the only crawl in that Redis database.
/// </summary>
internal sealed class ClusterTarget
{
    // These commands are run by a person or a script waiting for an answer: a Redis that cannot be reached within this
    // is reported (exit 1) rather than waited for, as workers do.
    private const int ConnectTimeoutMs = 1500;
    private static readonly TimeSpan OutageBudget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);
    private const int MaxNamesListed = 20;

    public ClusterTarget(bool required)
    {
        Frontier = new Option<string?>("--frontier")
        {
            Description = "The Redis database of the shared crawl: redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss:// for TLS.",
            HelpName = "URL",
            Required = required,
        };
    }

    public Option<string?> Frontier { get; }

    public Option<string?> Name { get; } = new("--name") { Description = "The crawl's name (its spider's name); default: the only crawl in that database.", HelpName = "NAME" };

    public void AddTo(Command command)
    {
        command.Add(Frontier);
        command.Add(Name);
    }

    /// <summary>
    /// Connects to the crawl: the one <c>--name</c> names, or the only one in the database. Only with
    /// <paramref name="mayCreate"/> may a named crawl not exist yet (seeding starts it).
    /// </summary>
    /// <exception cref="CliUsageException">A bad URL or name; no such crawl; no crawl or several crawls and no <c>--name</c>.</exception>
    /// <exception cref="RedisUnavailableException">Redis could not be reached within a few seconds, or refused the password.</exception>
    public async Task<RedisFrontier> OpenAsync(ParseResult parse, bool mayCreate, CancellationToken cancellationToken)
    {
        var url = parse.GetValue(Frontier) ?? throw new CliUsageException("Give the crawl's Redis database with --frontier redis://HOST:PORT/DB.");
        var where = FrontierUrl.Parse(url, "--frontier").RedactedUrl;
        var name = parse.GetValue(Name);
        if (name is not null && !RedisKeys.IsValidName(name))
        {
            throw new CliUsageException($"Invalid --name '{name}': a crawl's name is 1-100 letters, digits, '.', '_' or '-'.");
        }

        var options = new RedisFrontierOptions
        {
            Url = url,
            MaxOutage = OutageBudget,
            OperationTimeout = AttemptTimeout,
            // The first connection attempt's limit; after it the connection keeps trying within the outage budget.
            ConfigureConnection = connection => connection.ConnectTimeout = ConnectTimeoutMs,
        };
        var crawls = await RedisFrontier.ListCrawlsAsync(options, cancellationToken).ConfigureAwait(false);
        if (name is null)
        {
            name = crawls.Count switch
            {
                0 => throw new CliUsageException($"There is no crawl in {where}{(mayCreate ? "; name the one to start with --name" : string.Empty)}."),
                1 => crawls[0],
                _ => throw new CliUsageException($"There are {crawls.Count} crawls in {where}: {Names(crawls)}; choose one with --name."),
            };
        }
        else if (!mayCreate && !crawls.Contains(name, StringComparer.Ordinal))
        {
            throw new CliUsageException($"There is no crawl '{name}' in {where}{(crawls.Count > 0 ? $"; there are: {Names(crawls)}" : string.Empty)}.");
        }

        options.SpiderName = name;
        return await RedisFrontier.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
    }

    private static string Names(IReadOnlyList<string> crawls) =>
        string.Join(", ", crawls.Take(MaxNamesListed)) + (crawls.Count > MaxNamesListed ? $" and {crawls.Count - MaxNamesListed} more" : string.Empty);
}
