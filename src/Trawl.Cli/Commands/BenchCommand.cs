using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Trawl.Cli.Bench;
using Trawl.Crawling;
using Trawl.Sandbox;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl bench</c>, like <c>scrapy bench</c>: crawls the sandbox site (served by a child process, or at
/// <c>--url</c>) with the in-memory frontier and with a job directory, each run in a fresh process, and reports
/// pages/s, CPU time and allocations per page, peak RSS and time to first page. <c>bench-run</c> is the hidden
/// command each run's process executes.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var pages = new Option<int?>("--pages") { Description = "Synthetic pages of the sandbox site bench serves (default 50000; about 4 KB and 10 links each, plus the home page).", HelpName = "N" };
        var concurrency = new Option<int?>("--concurrency", "-c") { Description = "Requests in flight, in all and per domain: the site is one host (default 64).", HelpName = "N" };
        var runs = new Option<int?>("--runs") { Description = "Runs of each mode, interleaved; the report gives medians (default 3).", HelpName = "R" };
        var mode = new Option<string?>("--mode") { Description = "memory (in-memory frontier), jobdir (a temporary --jobdir) or both (default).", HelpName = "MODE" };
        var url = new Option<string?>("--url") { Description = "Crawl a sandbox site served already (for example an export served by nginx) instead of starting one.", HelpName = "URL" };
        var ceiling = new Option<bool>("--ceiling") { Description = "Also measure the fetch and fetch+parse ceilings: a plain HttpClient loop over the same pages, without and with an AngleSharp parse." };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON (every run, and the medians) instead of the table." };
        var samples = new Option<string?>("--samples") { Description = "Write each run's progress, about once a second, to FILE as CSV: mode,run,seconds,pages,rss_mib.", HelpName = "FILE" };
        var fields = new Option<string[]>("--field", "-f") { Description = "An item field the crawls extract, NAME=SELECTOR (repeatable; default title=title::text).", HelpName = "NAME=SELECTOR" };
        var bytesInFlight = new Option<string?>("--max-bytes-in-flight") { Description = "The crawls' budget of response bytes in flight, as for trawl crawl (default 16M; 'none' for no limit).", HelpName = "SIZE" };
        var command = new Command("bench", "Benchmark crawling on the bundled sandbox site: pages/s, CPU and allocations per page, peak RSS, time to first page.")
        {
            pages, concurrency, runs, mode, url, ceiling, json, samples, fields, bytesInFlight,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new BenchSettings(
                Pages: Range(parse.GetValue(pages), "--pages", 50_000, 1, SandboxOptions.MaxPages),
                Concurrency: Range(parse.GetValue(concurrency), "--concurrency", 64, 1, 10_000),
                Runs: Range(parse.GetValue(runs), "--runs", 3, 1, 100),
                Modes: Modes(parse.GetValue(mode)),
                Url: Url(parse.GetValue(url)),
                Ceiling: parse.GetValue(ceiling),
                Json: parse.GetValue(json),
                SamplesFile: parse.GetValue(samples),
                Fields: Fields(parse.GetValue(fields)),
                MaxBytesInFlight: parse.GetValue(bytesInFlight) is { } budget ? CheckedBytesInFlight(budget) : null);
            if (settings.Url is not null && parse.GetValue(pages) is not null)
            {
                throw new CliUsageException("--pages sets the size of the site bench serves; with --url the site's own home page says how many pages it has.");
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
            return await BenchRunner.RunAsync(settings, output, error, stop.Token).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>The hidden command that runs one measured run in a process of its own and prints its figures as JSON.</summary>
    public static Command Run(TextWriter output, TextWriter error)
    {
        var mode = new Option<string>("--mode") { Required = true };
        var url = new Option<string>("--url") { Required = true };
        var pages = new Option<int>("--pages") { Required = true };
        var concurrency = new Option<int>("--concurrency") { Required = true };
        var work = new Option<string>("--work") { Required = true };
        var fields = new Option<string[]>("--field");
        var bytesInFlight = new Option<string?>("--max-bytes-in-flight");
        var command = new Command("bench-run", "One run of 'trawl bench', in a process of its own.") { mode, url, pages, concurrency, work, fields, bytesInFlight };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!BenchModes.TryParse(parse.GetValue(mode), out var benchMode))
            {
                throw new CliUsageException($"Invalid --mode '{parse.GetValue(mode)}'.");
            }

            var figures = await BenchChild.RunAsync(
                benchMode, Url(parse.GetValue(url))!, parse.GetValue(pages), parse.GetValue(concurrency), parse.GetValue(work)!, Fields(parse.GetValue(fields)),
                parse.GetValue(bytesInFlight) is { } budget ? CrawlSettingsOptions.ParseBytesInFlight(budget) : CrawlOptions.DefaultMaxResponseBytesInFlight,
                error, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(JsonSerializer.Serialize(figures, BenchFigures.Json)).ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    private static int Range(int? value, string name, int defaultValue, int min, int max) =>
        value switch
        {
            null => defaultValue,
            var n when n >= min && n <= max => n.Value,
            _ => throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"{name} must be between {min:N0} and {max:N0}, not {value}.")),
        };

    // Checked here, so a bad selector is one usage error before any run starts, not a failure in every run.
    private static IReadOnlyList<string> Fields(string[]? fields)
    {
        if (fields is not { Length: > 0 })
        {
            return BenchSettings.DefaultFields;
        }

        try
        {
            _ = BenchChild.Spider(new Uri("http://127.0.0.1/"), fields);
        }
        catch (SpiderDefinitionException ex)
        {
            throw new CliUsageException(ex.Message);
        }

        return fields;
    }

    private static string CheckedBytesInFlight(string text)
    {
        _ = CrawlSettingsOptions.ParseBytesInFlight(text);
        return text;
    }

    private static List<BenchMode> Modes(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "both" => [BenchMode.Memory, BenchMode.JobDir],
        "memory" => [BenchMode.Memory],
        "jobdir" => [BenchMode.JobDir],
        _ => throw new CliUsageException($"Invalid --mode '{text}': use memory, jobdir or both."),
    };

    private static Uri? Url(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)
            || url.AbsolutePath != "/" || url.Query.Length > 0 || url.Fragment.Length > 0)
        {
            throw new CliUsageException($"Invalid --url '{text}': give the home page of a sandbox site, such as http://127.0.0.1:8080/.");
        }

        return url;
    }
}
