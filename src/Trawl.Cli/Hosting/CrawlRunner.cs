using System.Globalization;
using Microsoft.Extensions.Logging;
using Trawl.Engine;
using Trawl.Spiders;

namespace Trawl.Cli.Hosting;

/// <summary>Runs a spider for a CLI command: logging, progress display, the closing summary and the exit code.</summary>
internal static class CrawlRunner
{
    public static async Task<int> RunAsync(Spider spider, CrawlOptions options, CommonCrawlSettings settings, TextWriter output)
    {
        var live = ProgressDisplay.IsInteractive && !settings.NoProgress;
        var consoleLevel = live && !settings.LogLevelGiven ? LogLevel.Warning : settings.LogLevel;
        using var loggerFactory = CliLogging.Create(settings.LogLevel, consoleLevel, settings.LogFile);
        var logger = loggerFactory.CreateLogger("trawl");
        options.LoggerFactory = loggerFactory;
        options.HandleSignals = true;
        var result = await ProgressDisplay.RunAsync($"trawl: {spider.Name}", logger, live, progress =>
        {
            options.Progress = progress;
            return spider.RunAsync(options);
        }).ConfigureAwait(false);

        WriteSummary(output, spider, options, result);
        return result.Paused ? ExitCodes.Paused : ExitCodes.Finished;
    }

    private static void WriteSummary(TextWriter output, Spider spider, CrawlOptions options, CrawlResult result)
    {
        var stats = result.Stats;
        var errors = stats.ErrorsByKind.Count == 0
            ? "no errors"
            : string.Join(", ", stats.ErrorsByKind.OrderByDescending(pair => pair.Value).Select(pair => $"{pair.Key} {pair.Value}"));
        var verb = result.Paused ? "Paused" : "Finished";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{verb} {spider.Name}: {stats.Pages:N0} pages, {stats.Items:N0} items, {stats.Failed:N0} failed ({errors}) in {stats.Elapsed.TotalSeconds:0.0}s, {stats.PagesPerSecond:N0} pages/s."));
        if (result.LimitReached)
        {
            output.WriteLine("Stopped at the configured limit.");
        }

        if (options.Output is not null)
        {
            output.WriteLine($"Items: {Path.GetFullPath(options.Output)}");
        }

        if (result.Paused)
        {
            output.WriteLine($"Paused ({result.PauseReason}).");
        }
    }
}

/// <summary>Settings shared by every command that runs a crawl.</summary>
internal sealed record CommonCrawlSettings(LogLevel LogLevel, bool LogLevelGiven, string? LogFile, bool NoProgress);
