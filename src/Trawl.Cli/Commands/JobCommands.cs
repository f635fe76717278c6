using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Trawl.Jobs;
using Trawl.Logging;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl status DIR</c> and <c>trawl retry-failed DIR</c>: look at and mend a job directory (<c>status</c> alone
/// lists the jobs under the default data directory; <c>status DIR --failed</c> lists a job's failed requests).
/// <c>trawl status --frontier URL</c> shows a crawl shared on Redis instead (<see cref="ClusterStatusCommand.RunAsync"/>).
/// </summary>
internal static class JobCommands
{
    /// <summary>How <c>status --json</c> writes: indented, snake_case names.</summary>
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Status(TextWriter output)
    {
        var directory = new Argument<string?>("jobdir")
        {
            Description = "The job directory (or --frontier for a crawl shared on Redis). Leave out to list the jobs under $TRAWL_DATA_DIR (default ./.trawl/jobs).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON." };
        var failed = new Option<bool>("--failed") { Description = "List the job's failed requests: URL, error kind and message, attempts." };
        var cluster = new ClusterTarget(required: false);
        var command = new Command("status", "Show a job's or a shared crawl's progress: counts by status, rate, top errors; for a shared crawl also its workers.") { directory, json, failed };
        cluster.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(directory);
            var frontier = parse.GetValue(cluster.Frontier) is not null;
            if (frontier && path is not null)
            {
                throw new CliUsageException("Give a job directory or --frontier, not both.");
            }

            if (frontier && parse.GetValue(failed))
            {
                throw new CliUsageException("--failed lists a job directory's failed requests; a shared crawl's are not kept by URL.");
            }

            if (frontier)
            {
                return await ClusterStatusCommand.RunAsync(parse, cluster, parse.GetValue(json), output, cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(cluster.Name) is not null)
            {
                throw new CliUsageException("--name names a crawl shared on Redis: use it with --frontier.");
            }

            if (path is null)
            {
                return parse.GetValue(failed)
                    ? throw new CliUsageException("Say which job's failed requests to list: 'trawl status JOBDIR --failed' ('trawl status' lists the jobs).")
                    : await ListJobsAsync(CrawlSettingsOptions.DefaultJobsRoot(), parse.GetValue(json), output, cancellationToken).ConfigureAwait(false);
            }

            if (parse.GetValue(failed))
            {
                var requests = await JobDirectory.ReadFailedAsync(path, int.MaxValue, cancellationToken).ConfigureAwait(false)
                    ?? throw new CliUsageException($"There is no job in '{path}'.");
                await WriteFailedAsync(output, Path.GetFullPath(path), requests, parse.GetValue(json)).ConfigureAwait(false);
                return ExitCodes.Finished;
            }

            var status = await JobDirectory.ReadStatusAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false)
                ?? throw new CliUsageException($"There is no job in '{path}'.");
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(ToJson(Path.GetFullPath(path), status), Json)).ConfigureAwait(false);
            }
            else
            {
                await WriteTextAsync(output, Path.GetFullPath(path), status).ConfigureAwait(false);
            }

            return ExitCodes.Finished;
        });
        return command;
    }

    public static Command RetryFailed(TextWriter output)
    {
        var directory = new Argument<string>("jobdir") { Description = "The job directory." };
        var command = new Command("retry-failed", "Move a job's failed requests back to pending, to be tried again on the next run.") { directory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(directory)!;
            var moved = await JobDirectory.RetryFailedAsync(path, cancellationToken).ConfigureAwait(false)
                ?? throw new CliUsageException($"There is no job in '{path}'.");
            await output.WriteLineAsync($"Moved {Wording.Count(moved, "failed request")} back to pending; run the crawl's command to fetch them.").ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    // The jobs in the directories right under root, one line each (a job that cannot be read says why).
    private static async Task<int> ListJobsAsync(string root, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(root);
        var jobs = new List<(string Directory, JobStatus? Status, string? Problem)>();
        if (System.IO.Directory.Exists(full))
        {
            foreach (var directory in System.IO.Directory.EnumerateDirectories(full).Order(StringComparer.Ordinal))
            {
                try
                {
                    if (await JobDirectory.ReadStatusAsync(directory, topErrors: 0, cancellationToken).ConfigureAwait(false) is { } status)
                    {
                        jobs.Add((directory, status, null));
                    }
                }
                catch (JobDirectoryException ex)
                {
                    jobs.Add((directory, null, ex.Message));
                }
            }
        }

        if (json)
        {
            var list = jobs.Select(job => job.Status is { } status ? ToJson(job.Directory, status) : new { Directory = job.Directory, Error = job.Problem });
            await output.WriteLineAsync(JsonSerializer.Serialize(new { Root = full, Jobs = list }, Json)).ConfigureAwait(false);
            return ExitCodes.Finished;
        }

        if (jobs.Count == 0)
        {
            await output.WriteLineAsync($"No jobs in {full} (set TRAWL_DATA_DIR to look elsewhere, or give a job directory).").ConfigureAwait(false);
            return ExitCodes.Finished;
        }

        await output.WriteLineAsync($"Jobs in {full}:").ConfigureAwait(false);
        foreach (var (directory, status, problem) in jobs)
        {
            var name = Path.GetFileName(directory);
            await output.WriteLineAsync(status is null
                ? $"  {name}  cannot be read: {problem}"
                : Invariant($"  {name}  {(status.Metadata.IsFinished ? "finished" : "unfinished")}, {status.Counts.Done:N0} done, {status.Counts.Pending + status.Counts.InProgress:N0} to go, {status.Counts.Failed:N0} failed, {status.Items:N0} items, last active {status.LastActivity:yyyy-MM-dd HH:mm} UTC")).ConfigureAwait(false);
        }

        await output.WriteLineAsync("'trawl status DIR' shows one job; 'trawl status DIR --failed' lists its failed requests.").ConfigureAwait(false);
        return ExitCodes.Finished;
    }

    private static async Task WriteFailedAsync(TextWriter output, string directory, IReadOnlyList<JobFailedRequest> requests, bool json)
    {
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { Directory = directory, Failed = requests }, Json)).ConfigureAwait(false);
            return;
        }

        await output.WriteLineAsync(Invariant($"{requests.Count:N0} failed requests in {directory}{(requests.Count > 0 ? ":" : ".")}")).ConfigureAwait(false);
        foreach (var request in requests)
        {
            var attempts = request.Attempts == 1 ? "1 attempt" : Invariant($"{request.Attempts:N0} attempts");
            await output.WriteLineAsync($"  {request.Url}  {request.Kind}: {request.Message} ({attempts})").ConfigureAwait(false);
        }
    }

    private static object ToJson(string directory, JobStatus status) => new
    {
        Directory = directory,
        Spider = status.Metadata.SpiderName,
        State = status.Metadata.IsFinished ? "finished" : "unfinished",
        status.Metadata.FormatVersion,
        status.Metadata.CreatedAt,
        status.LastActivity,
        Counts = new
        {
            status.Counts.Pending,
            status.Counts.InProgress,
            status.Counts.Done,
            status.Counts.Failed,
            status.Counts.Skipped,
            status.Counts.Total,
            status.Queued,
            status.LeasedAhead,
            status.InFlight,
        },
        status.Items,
        status.ItemsFailed,
        Recrawl = new { Unchanged = status.RecrawlUnchanged, Changed = status.RecrawlChanged },
        Outputs = status.Outputs.Select(o => new { o.Path, o.Items, Bytes = o.Position, o.LastItem }),
        status.FetchedPlain,
        status.Rendered,
        DonePerMinute = status.DoneLastMinute,
        TopErrors = status.TopErrors.Select(error => new { error.Kind, error.Message, error.Count }),
        TopItemErrors = status.TopItemErrors.Select(error => new { error.Kind, error.Message, error.Count }),
    };

    private static async Task WriteTextAsync(TextWriter output, string directory, JobStatus status)
    {
        var counts = status.Counts;
        var lines = new List<string>
        {
            $"Job:       {directory}",
            $"Spider:    {status.Metadata.SpiderName ?? "?"} ({(status.Metadata.IsFinished ? "finished" : "unfinished")})",
            Invariant($"Requests:  {counts.Total:N0} in all: {InProgress(status)}, {counts.Done:N0} done, {counts.Failed:N0} failed, {counts.Skipped:N0} skipped"),
            Invariant($"Items:     {status.Items:N0}{(status.ItemsFailed > 0 ? Invariant($", {status.ItemsFailed:N0} failed (not exported)") : string.Empty)}"),
            Invariant($"Rate:      {status.DoneLastMinute:N0} pages in the last minute"),
            Invariant($"Fetched:   {status.FetchedPlain:N0} over plain HTTP, {status.Rendered:N0} rendered in a browser"),
            Invariant($"Activity:  last {status.LastActivity:yyyy-MM-dd HH:mm:ss} UTC, created {status.Metadata.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC"),
        };
        if (status.RecrawlUnchanged + status.RecrawlChanged > 0)
        {
            lines.Add(Invariant($"Re-crawl:  {status.RecrawlUnchanged:N0} unchanged (304), {status.RecrawlChanged:N0} changed"));
        }

        lines.AddRange(status.Outputs.Select(o => Invariant($"Output:    {o.Path} ({(o.Items is { } items ? Invariant($"{items:N0} items, ") : string.Empty)}{o.Position:N0} bytes written)")));
        if (status.TopErrors.Count > 0)
        {
            lines.Add("Top errors:");
            lines.AddRange(status.TopErrors.Select(error => Invariant($"  {error.Count,8:N0}  {error.Kind}: {error.Message}")));
        }

        if (status.TopItemErrors.Count > 0)
        {
            lines.Add("Top item errors:");
            lines.AddRange(status.TopItemErrors.Select(error => Invariant($"  {error.Count,8:N0}  {error.Kind}: {error.Message}")));
        }

        foreach (var line in lines)
        {
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }
    }

    // What is queued includes what the crawl has leased ahead: a durable crawl leases up to 2,048 requests beyond those it
    // is fetching, and they are no more under way than the pending ones.
    private static string InProgress(JobStatus status) => status.InFlight is { } inFlight
        ? Invariant($"{status.Queued:N0} queued ({status.Counts.Pending:N0} pending, {status.LeasedAhead:N0} leased ahead by the crawl), {Math.Min(inFlight, status.Counts.InProgress):N0} in flight")
        : Invariant($"{status.Counts.Pending:N0} pending, {status.Counts.InProgress:N0} in progress");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
