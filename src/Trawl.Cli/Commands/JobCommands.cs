using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Trawl.Jobs;
using Trawl.Logging;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl status DIR</c> and <c>trawl retry-failed DIR</c>: look at and mend a job directory. <c>trawl status
/// --frontier URL</c> shows a crawl shared on Redis instead (<see cref="ClusterStatusCommand.RunAsync"/>).
/// </summary>
internal static class JobCommands
{
    /// <summary>How <c>status --json</c> writes: indented, snake_case names.</summary>
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Command Status(TextWriter output)
    {
        var directory = new Argument<string?>("jobdir") { Description = "The job directory (or --frontier for a crawl shared on Redis).", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print machine-readable JSON." };
        var cluster = new ClusterTarget(required: false);
        var command = new Command("status", "Show a job's or a shared crawl's progress: counts by status, rate, top errors; for a shared crawl also its workers.") { directory, json };
        cluster.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(directory);
            var frontier = parse.GetValue(cluster.Frontier) is not null;
            if (path is null)
            {
                return frontier
                    ? await ClusterStatusCommand.RunAsync(parse, cluster, parse.GetValue(json), output, cancellationToken).ConfigureAwait(false)
                    : throw new CliUsageException("Say which crawl: 'trawl status JOBDIR' for a job directory, or 'trawl status --frontier redis://HOST:PORT/DB' for a shared crawl.");
            }

            if (frontier)
            {
                throw new CliUsageException("Give a job directory or --frontier, not both.");
            }

            if (parse.GetValue(cluster.Name) is not null)
            {
                throw new CliUsageException("--name names a crawl shared on Redis: use it with --frontier.");
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
