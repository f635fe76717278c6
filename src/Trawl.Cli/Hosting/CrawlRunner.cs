using System.Globalization;
using Microsoft.Extensions.Logging;
using Trawl.Cli.Commands;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Items;
using Trawl.Logging;
using Trawl.Redis;
using Trawl.Rendering;
using Trawl.Spiders;

namespace Trawl.Cli.Hosting;

/// <summary>Runs a spider for a CLI command: logging, progress display, the closing summary and the exit code.</summary>
internal static class CrawlRunner
{
    public static async Task<int> RunAsync(Spider spider, CrawlOptions options, CommonCrawlSettings settings, TextWriter output)
    {
        var live = ProgressDisplay.IsInteractive && !settings.NoProgress;
        var levelGiven = settings.LogLevelGiven || spider.LogLevel is not null;
        var level = settings.LogLevelGiven ? settings.LogLevel : spider.LogLevel ?? settings.LogLevel;
        var consoleLevel = live && !levelGiven ? LogLevel.Warning : level;
        var console = live ? ProgressDisplay.CreateConsole() : null;
        using var display = console is null ? null : new DisplayLoggerProvider(console.Profile.Out.Writer, TimeProvider.System);
        using var loggerFactory = CliLogging.Create(level, consoleLevel, settings.LogFile ?? spider.LogFile, display);
        var logger = loggerFactory.CreateLogger("trawl");
        options.HandleSignals = true;
        var crawl = new CrawlerBuilder(spider, options).UseLoggerFactory(loggerFactory);
        var otlpSignals = OtlpExport.Configured();
        // Bound before anything else, so a port in use stops the command before it crawls or joins a cluster.
        await using var metrics = settings.Metrics is { } address ? await ServeMetricsAsync(address, logger, output, CancellationToken.None).ConfigureAwait(false) : null;
        await using var redis = settings.Cluster is { } cluster ? await JoinAsync(cluster, crawl, loggerFactory, output).ConfigureAwait(false) : null;
        metrics?.Publish(redis is null ? null : new Dictionary<string, string> { ["worker"] = redis.WorkerId });
        using var otlp = otlpSignals is null ? null : OtlpExport.Start(otlpSignals, redis?.WorkerId);

        if (options.JobDir is not null)
        {
            output.WriteLine($"Job: {Path.GetFullPath(options.JobDir)}");
            output.WriteLine("Ctrl+C pauses the crawl; run the same command again to resume where it stopped.");
        }

        await using var renderer = settings.Browser?.CreateRenderer(spider, options, loggerFactory);
        if (renderer is not null)
        {
            crawl.UseRenderer(renderer);
        }

        Task<CrawlResult> Crawl(IProgress<CrawlProgress> progress) => RunAsync(crawl.ReportProgress(progress).Build(), renderer);
        var result = console is null
            ? await ProgressDisplay.RunPlainAsync(logger, Crawl).ConfigureAwait(false)
            : await ProgressDisplay.RunLiveAsync(console, $"trawl: {spider.Name}", display!, Crawl).ConfigureAwait(false);

        WriteSummary(output, spider, options, clustered: redis is not null, result);
        return result.Error is not null ? ExitCodes.Error
            : result.Paused ? ExitCodes.Paused
            : result.EveryStartRequestFailed ? ExitCodes.StartFailed
            : ExitCodes.Finished;
    }

    private static async Task<CrawlResult> RunAsync(Crawler crawler, Trawl.Browser.BrowserRenderer? renderer)
    {
        await BrowserSettings.StartIfRenderingAsync(renderer, crawler).ConfigureAwait(false);
        return await crawler.RunAsync().ConfigureAwait(false);
    }

    private static async Task<MetricsServer> ServeMetricsAsync(MetricsAddress address, ILogger logger, TextWriter output, CancellationToken cancellationToken)
    {
        var server = await MetricsServer.StartAsync(address, cancellationToken).ConfigureAwait(false);
        if (!address.IsLoopback)
        {
            Log.MetricsReachable(logger, (address with { Port = server.Url.Port }).ToString());
        }

        output.WriteLine($"Metrics: {server.Url}");
        return server;
    }

    // A worker with its own output commits its items as a share named by this host and the file, so a restarted worker
    // writing the same file replays into it only the items it committed and had not written yet. Its worker id comes
    // from the share too, so the restarted worker also takes back at once the leases its killed run held, instead of
    // leaving them to expire (LeaseDuration, 2 minutes) while the others wait.
    private static async Task<RedisFrontier> JoinAsync(ClusterSettings cluster, CrawlerBuilder crawl, ILoggerFactory loggerFactory, TextWriter output)
    {
        var (spider, options) = (crawl.Spider, crawl.Options);
        var share = options.Output is null ? null : Environment.MachineName + ":" + Path.GetFullPath(options.Output);
        var redis = await RedisFrontier.ConnectAsync(new RedisFrontierOptions
        {
            Url = cluster.Url,
            SpiderName = spider.Name,
            LoggerFactory = loggerFactory,
            ItemShare = share,
            WorkerId = share is null ? null : RedisFrontier.StableWorkerId(share),
        }, CancellationToken.None).ConfigureAwait(false);
        crawl.UseFrontier(new ClusterWorkerFrontier(redis, cluster.IdleTimeout, cluster.Wait));
        output.WriteLine($"Cluster: crawl '{spider.Name}' on {cluster.RedactedUrl}, worker {redis.WorkerId}.");
        try
        {
            if (await GlobalLimiterAsync(cluster, redis, options).ConfigureAwait(false) is { } limiter)
            {
                crawl.UseDomainGate(limiter);
                output.WriteLine($"Global limits: {limiter.Limits}{(cluster.Limits is null ? ", as recorded with the crawl" : string.Empty)}.");
            }
        }
        catch
        {
            await redis.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        output.WriteLine(cluster.Wait
            ? "Ctrl+C pauses this worker and hands its requests to the others; it waits for new seeds when the crawl is finished."
            : $"Ctrl+C pauses this worker and hands its requests to the others; it exits once the crawl has been finished for {cluster.IdleTimeout.TotalSeconds:0.#} s.");
        return redis;
    }

    // The crawl's global per-domain limits: those given, recorded with the crawl unless it has some (other ones are a
    // usage error), or else those it has recorded. A slot outlives the slowest download, so only a dead worker's lapse.
    private static async Task<RedisDomainLimiter?> GlobalLimiterAsync(ClusterSettings cluster, RedisFrontier redis, CrawlOptions options)
    {
        var slotTimeout = TimeSpan.FromTicks(Math.Min((options.Downloader.Timeout + TimeSpan.FromMinutes(1)).Ticks, TimeSpan.FromDays(1).Ticks));
        if (cluster.Limits is not { } limits)
        {
            return await RedisDomainLimiter.OpenAsync(redis, slotTimeout, CancellationToken.None).ConfigureAwait(false);
        }

        var limiterOptions = new RedisDomainLimiterOptions
        {
            RequestsPerSecond = limits.RequestsPerSecond,
            Burst = limits.Burst,
            MaxConcurrency = limits.MaxConcurrency,
            SlotTimeout = slotTimeout,
        };
        try
        {
            return await RedisDomainLimiter.CreateAsync(redis, limiterOptions, CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new CliUsageException($"--global-rate, --global-burst, --global-concurrency: {ex.Message}");
        }
    }

    private static void WriteSummary(TextWriter output, Spider spider, CrawlOptions options, bool clustered, CrawlResult result)
    {
        var stats = result.Stats;
        var verb = result.Paused ? "Paused" : "Finished";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {spider.Name}: {stats.Pages:N0} pages, {stats.Items:N0} items, {string.Join(", ", FailureBreakdown.Parts(stats))} in {stats.Elapsed.TotalSeconds:0.0}s, {stats.PagesPerSecond:N0} pages/s."));
        if (stats.Skipped > 0 || stats.FilteredByKind.Count > 0)
        {
            var skipped = FailureBreakdown.Kinds(stats.SkippedByKind);
            var filtered = FailureBreakdown.Kinds(stats.FilteredByKind);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Skipped {stats.Skipped:N0} requests ({(skipped.Length > 0 ? skipped : "none")}); links not scheduled: {(filtered.Length > 0 ? filtered : "none")}."));
        }

        if (stats.Rendered > 0 || options.Render.Mode != RenderMode.Never)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Fetched {stats.FetchedPlain:N0} pages over plain HTTP and rendered {stats.Rendered:N0} in the browser (--render {options.Render.Mode.ToString().ToLowerInvariant()})."));
        }

        if (stats.Unchanged + stats.Changed > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Re-crawl: {stats.Unchanged:N0} unchanged (304, not parsed again), {stats.Changed:N0} changed."));
        }

        if (result.LimitReached)
        {
            output.WriteLine("Stopped at the configured limit.");
        }

        if (options.Output is not null)
        {
            output.WriteLine($"Items: {Path.GetFullPath(options.Output)}");
        }

        if (result.Error is not null)
        {
            output.WriteLine($"Stopped by an error: {result.Error}");
        }
        else if (result.EveryStartRequestFailed)
        {
            output.WriteLine(Wording.Count(stats.StartRequestsFailed, "start request") + " failed, and none was fetched: nothing was crawled (the log says why).");
        }

        if (result.Failure is ItemExportException { Problem: ItemExportProblem.Changed })
        {
            // The output lost what was written to it: resuming into it cannot restore that, a new file can.
            output.WriteLine(result.JobDirectory is not null
                ? $"The job is kept in {result.JobDirectory}, with every item: run the same command with -o naming a new file to have them all written there."
                : clustered
                    ? "Every item is kept in the shared crawl: trawl export writes them all to a file."
                    : "This crawl kept no job directory, so its items cannot be written again.");
        }
        else if (result.Paused && result.JobDirectory is not null)
        {
            output.WriteLine($"Paused ({result.PauseReason}). The job is saved in {result.JobDirectory}: run the same command again to resume.");
        }
        else if (result.Paused && clustered)
        {
            output.WriteLine($"Paused ({result.PauseReason}). This worker's requests went back to the shared crawl; start a worker again to go on.");
        }
        else if (result.Paused)
        {
            output.WriteLine($"Paused ({result.PauseReason}). This crawl kept no job directory, so it cannot be resumed.");
        }
        else if (result.JobDirectory is not null)
        {
            output.WriteLine($"The job is kept in {result.JobDirectory}.");
        }
    }
}

/// <summary>Settings shared by every command that runs a crawl.</summary>
internal sealed record CommonCrawlSettings(LogLevel LogLevel, bool LogLevelGiven, string? LogFile, bool NoProgress)
{
    /// <summary>Set with <c>--frontier</c>: the crawl is shared on Redis.</summary>
    public ClusterSettings? Cluster { get; init; }

    /// <summary>Set with <c>--metrics</c>: where to serve Prometheus metrics.</summary>
    public MetricsAddress? Metrics { get; init; }

    /// <summary>The browser to render with (<c>--browser</c>, <c>--browser-pages</c>, <c>--render-block</c>); null where a command renders nothing.</summary>
    public BrowserSettings? Browser { get; init; }
}

/// <summary>A worker of a crawl shared on Redis. <paramref name="Url"/> holds the password; print only <paramref name="RedactedUrl"/>.</summary>
internal sealed record ClusterSettings(string Url, string RedactedUrl, TimeSpan IdleTimeout, bool Wait)
{
    /// <summary>Set with <c>--global-rate</c> or <c>--global-concurrency</c>; otherwise the crawl's recorded limits apply, if any.</summary>
    public GlobalLimitSettings? Limits { get; init; }
}

/// <summary>
/// Per-domain limits across a cluster: requests per second (0 for none), the bucket's burst (null for the default),
/// requests in flight (0 for none).
/// </summary>
internal sealed record GlobalLimitSettings(double RequestsPerSecond, int? Burst, int MaxConcurrency);
