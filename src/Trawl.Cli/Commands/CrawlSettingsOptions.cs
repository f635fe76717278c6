using System.CommandLine;
using Trawl.Cli.Hosting;
using Trawl.Engine;
using Trawl.Items;

namespace Trawl.Cli.Commands;

/// <summary>The options every crawling command shares, and how they map onto <see cref="CrawlOptions"/>.</summary>
internal sealed class CrawlSettingsOptions
{
    public Option<string?> Output { get; } = new("--output", "-o") { Description = "Write items to FILE as they are crawled; the format follows the extension: .jsonl, .json or .csv.", HelpName = "FILE" };

    public Option<long?> Limit { get; } = new("--limit") { Description = "Stop after fetching N pages (a test crawl).", HelpName = "N" };

    public Option<long?> ItemLimit { get; } = new("--item-limit") { Description = "Stop after N items.", HelpName = "N" };

    public Option<int?> Concurrency { get; } = new("--concurrency", "-c") { Description = "Requests in flight at once, in all (default 16).", HelpName = "N" };

    public Option<int?> ConcurrencyPerDomain { get; } = new("--concurrency-per-domain") { Description = "Requests in flight at once to one domain (default 8).", HelpName = "N" };

    public Option<double?> Delay { get; } = new("--delay") { Description = "Seconds between requests to one domain, randomized 0.5x-1.5x (default 0).", HelpName = "SECONDS" };

    public Option<int?> MaxDepth { get; } = new("--max-depth") { Description = "Do not follow links deeper than N from a start page.", HelpName = "N" };

    public Option<string?> UserAgent { get; } = new("--user-agent") { Description = "The User-Agent header.", HelpName = "TEXT" };

    public Option<double?> Timeout { get; } = new("--timeout") { Description = "Seconds one download may take in all (default 30).", HelpName = "SECONDS" };

    public Option<int?> Retries { get; } = new("--retries") { Description = "Retries of a failed request: network errors, 5xx, 408, 429 (default 2).", HelpName = "N" };

    public Option<string?> RetryStatus { get; } = new("--retry-status") { Description = "HTTP statuses to retry, comma-separated (default 500,502,503,504,522,524,408,429); 'none' for none.", HelpName = "CODES" };

    public Option<string?> JobDir { get; } = new("--jobdir", "--crawldir") { Description = "Keep the crawl's state in DIR: Ctrl+C or a kill, then the same command resumes. Default without --limit: $TRAWL_DATA_DIR/NAME or ./.trawl/jobs/NAME.", HelpName = "DIR" };

    public Option<bool> NoJob { get; } = new("--no-job") { Description = "Crawl in memory only: nothing to resume after a stop." };

    public Option<bool> KeepJob { get; } = new("--keep-job") { Description = "Keep the job directory when the crawl finishes (for auditing and incremental re-crawls)." };

    public Option<bool> Fresh { get; } = new("--fresh") { Description = "Move an existing job directory aside (DIR.bak-TIMESTAMP) and start over." };

    public Option<double?> CheckpointInterval { get; } = new("--checkpoint-interval") { Description = "Most seconds of finished work a crash can cost; progress is committed in groups within it (default 1; 0 commits every page).", HelpName = "SECONDS" };

    public Option<string?> LogLevel { get; } = new("--log-level") { Description = "trace, debug, info, warning, error or none (default info; warning under the live display).", HelpName = "LEVEL" };

    public Option<string?> LogFile { get; } = new("--log-file") { Description = "Also append the log to FILE.", HelpName = "FILE" };

    public Option<bool> NoProgress { get; } = new("--no-progress") { Description = "No live progress display; log a progress line every few seconds instead." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Output, Limit, ItemLimit, Concurrency, ConcurrencyPerDomain, Delay, MaxDepth, UserAgent, Timeout, Retries, RetryStatus, JobDir, NoJob, KeepJob, Fresh, CheckpointInterval, LogLevel, LogFile, NoProgress })
        {
            command.Add(option);
        }
    }

    public CommonCrawlSettings Common(ParseResult parse)
    {
        var level = parse.GetValue(LogLevel);
        return new CommonCrawlSettings(CliLogging.ParseLevel(level), level is not null, parse.GetValue(LogFile), parse.GetValue(NoProgress));
    }

    /// <summary>Applies the parsed options and checks them, throwing <see cref="CliUsageException"/> with one clear message.</summary>
    public CrawlOptions Build(ParseResult parse)
    {
        var options = new CrawlOptions();
        if (parse.GetValue(Output) is { } output)
        {
            try
            {
                ItemExporters.FormatOf(output);
                ItemExporters.CheckWritable(output);
            }
            catch (Exception ex) when (ex is ArgumentException or ItemExportException)
            {
                throw new CliUsageException(ex.Message);
            }

            options.Output = output;
        }

        options.Limit = Positive(parse.GetValue(Limit), "--limit");
        options.ItemLimit = Positive(parse.GetValue(ItemLimit), "--item-limit");
        options.Concurrency = (int)(Positive(parse.GetValue(Concurrency), "--concurrency") ?? options.Concurrency);
        options.ConcurrencyPerDomain = (int)(Positive(parse.GetValue(ConcurrencyPerDomain), "--concurrency-per-domain") ?? options.ConcurrencyPerDomain);
        if (parse.GetValue(Delay) is { } delay)
        {
            options.DownloadDelay = Seconds(delay, "--delay", allowZero: true);
        }

        if (parse.GetValue(MaxDepth) is { } depth)
        {
            options.MaxDepth = depth >= 0 ? depth : throw new CliUsageException("--max-depth must not be negative.");
        }

        if (parse.GetValue(UserAgent) is { } userAgent)
        {
            options.Downloader.UserAgent = string.IsNullOrWhiteSpace(userAgent) ? throw new CliUsageException("--user-agent must not be empty.") : userAgent;
        }

        if (parse.GetValue(Timeout) is { } timeout)
        {
            options.Downloader.Timeout = Seconds(timeout, "--timeout", allowZero: false);
        }

        if (parse.GetValue(Retries) is { } retries)
        {
            options.Retry.MaxRetries = retries >= 0 ? retries : throw new CliUsageException("--retries must not be negative.");
        }

        if (parse.GetValue(RetryStatus) is { } statuses)
        {
            options.Retry.HttpStatuses.Clear();
            if (!string.Equals(statuses.Trim(), "none", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var code in statuses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    options.Retry.HttpStatuses.Add(int.TryParse(code, out var status) && status is >= 100 and <= 599
                        ? status
                        : throw new CliUsageException($"Invalid --retry-status '{statuses}': give HTTP status codes separated by commas, like 500,503,429."));
                }
            }
        }

        if (parse.GetValue(CheckpointInterval) is { } checkpoint)
        {
            options.CheckpointInterval = Seconds(checkpoint, "--checkpoint-interval", allowZero: true);
        }

        return options;
    }

    /// <summary>
    /// Decides where the job lives. Crawls are durable by default: without --limit, a job directory is used
    /// automatically; with --limit (a test crawl) only when --jobdir is given.
    /// </summary>
    public void ApplyJob(ParseResult parse, CrawlOptions options, string spiderName)
    {
        var jobDir = parse.GetValue(JobDir);
        var noJob = parse.GetValue(NoJob);
        if (noJob && jobDir is not null)
        {
            throw new CliUsageException("--no-job and --jobdir contradict each other: choose one.");
        }

        if (jobDir is null && !noJob && options.Limit is null && options.ItemLimit is null)
        {
            jobDir = DefaultJobDirectory(spiderName);
        }

        if (jobDir is null)
        {
            if (parse.GetValue(KeepJob) || parse.GetValue(Fresh))
            {
                throw new CliUsageException("--keep-job and --fresh apply to a job directory; this crawl has none (add --jobdir DIR).");
            }

            return;
        }

        options.JobDir = jobDir;
        options.KeepJob = parse.GetValue(KeepJob);
        options.FreshJob = parse.GetValue(Fresh);
    }

    /// <summary>Where a spider's job lives by default: <c>$TRAWL_DATA_DIR/NAME</c>, or <c>./.trawl/jobs/NAME</c>.</summary>
    public static string DefaultJobDirectory(string spiderName)
    {
        var root = Environment.GetEnvironmentVariable("TRAWL_DATA_DIR");
        return Path.Combine(string.IsNullOrWhiteSpace(root) ? Path.Combine(".trawl", "jobs") : root, spiderName);
    }

    private static long? Positive(long? value, string name) =>
        value is null or > 0 ? value : throw new CliUsageException($"{name} must be a positive number, not {value}.");

    private static long? Positive(int? value, string name) => Positive((long?)value, name);

    private static TimeSpan Seconds(double value, string name, bool allowZero) =>
        double.IsFinite(value) && (value > 0 || (allowZero && value == 0)) && value < 86_400
            ? TimeSpan.FromSeconds(value)
            : throw new CliUsageException($"{name} must be a number of seconds{(allowZero ? " (0 or more)" : " above 0")}, not {value}.");
}
