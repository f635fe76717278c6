using System.Globalization;
using System.Text.Json;
using Trawl.Cli.Hosting;

namespace Trawl.Cli.Bench;

/// <summary>
/// Runs <c>trawl bench</c>: serves the site, runs every mode <see cref="BenchSettings.Runs"/> times, each run in a
/// fresh <c>trawl bench-run</c> process, interleaved (each round in a rotated order), and reports the medians.
/// </summary>
internal static class BenchRunner
{
    public static async Task<int> RunAsync(BenchSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var work = Path.Combine(Path.GetTempPath(), "trawl-bench-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var report = await BenchProgress.RunAsync(error, progress => MeasureAsync(settings, work, progress, cancellationToken)).ConfigureAwait(false);
            if (settings.Json)
            {
                await output.WriteLineAsync(report.ToJson()).ConfigureAwait(false);
            }
            else
            {
                report.Write(output);
            }

            if (!report.Complete)
            {
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"trawl: bench: not every run fetched all {report.Site.Pages:N0} pages without failures.")).ConfigureAwait(false);
                return ExitCodes.Error;
            }

            return ExitCodes.Finished;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("trawl: bench: interrupted.").ConfigureAwait(false);
            return ExitCodes.Paused;
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private static async Task<BenchReport> MeasureAsync(BenchSettings settings, string work, BenchProgress progress, CancellationToken cancellationToken)
    {
        await using var samples = settings.SamplesFile is { } file ? OpenSamples(file) : null;
        using var host = settings.Url is { } url
            ? await BenchSiteHost.AttachAsync(url, cancellationToken).ConfigureAwait(false)
            : await StartSiteAsync(settings.Pages, progress, cancellationToken).ConfigureAwait(false);
        var site = host.Site;
        progress.Note(string.Create(CultureInfo.InvariantCulture, $"site: {site.Pages:N0} pages at {site.Url} ({site.Server})"));

        var runs = settings.AllModes.ToDictionary(mode => mode, _ => new List<BenchFigures>());
        var modes = settings.AllModes;
        for (var round = 0; round < settings.Runs; round++)
        {
            for (var i = 0; i < modes.Count; i++)
            {
                // Rotate the order each round, so no mode always runs first or right after the same other one.
                var mode = modes[(i + round) % modes.Count];
                var name = settings.Runs == 1 ? mode.Name() : string.Create(CultureInfo.InvariantCulture, $"{mode.Name()}, run {round + 1} of {settings.Runs}");
                var figures = await RunOnceAsync(settings, site, mode, round + 1, name, Path.Combine(work, $"{round}-{i}"), progress, samples, cancellationToken).ConfigureAwait(false);
                runs[mode].Add(figures);
                progress.Finished(name, figures);
            }
        }

        await host.StopAsync().ConfigureAwait(false);
        return BenchReport.Build(settings, site, runs);
    }

    private static async Task<BenchSiteHost> StartSiteAsync(int pages, BenchProgress progress, CancellationToken cancellationToken)
    {
        progress.Note(string.Create(CultureInfo.InvariantCulture, $"starting the sandbox site ({pages:N0} pages) in its own process"));
        return await BenchSiteHost.StartAsync(pages, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<BenchFigures> RunOnceAsync(
        BenchSettings settings, BenchSite site, BenchMode mode, int round, string name, string work, BenchProgress progress, StreamWriter? samples, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(work);
        progress.Started(name);
        string[] args =
        [
            "bench-run", "--mode", mode.Name(), "--url", site.Url.AbsoluteUri,
            "--pages", site.SyntheticPages.ToString(CultureInfo.InvariantCulture),
            "--concurrency", settings.Concurrency.ToString(CultureInfo.InvariantCulture),
            "--work", work,
            .. settings.Fields.SelectMany(field => new[] { "--field", field }),
            .. settings.MaxBytesInFlight is { } budget ? new[] { "--max-bytes-in-flight", budget } : [],
        ];
        using var child = CliChildProcess.Start(args, onErrorLine: line =>
        {
            if (BenchSample.TryParse(line, out var sample))
            {
                progress.Sample(name, sample, site.Pages);
                if (samples is not null)
                {
                    lock (samples)
                    {
                        samples.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode.Name()},{round},{sample.Seconds:F3},{sample.Pages},{sample.ResidentKib / 1024.0:F1}"));
                    }
                }
            }
        });

        int exitCode;
        try
        {
            exitCode = await child.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            child.Kill();
            throw;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var json = child.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (exitCode != ExitCodes.Finished || json is null)
        {
            throw new InvalidOperationException($"bench: {name} failed (exit code {exitCode}): {BenchSiteHost.LastLine(child.Error)}");
        }

        var figures = JsonSerializer.Deserialize<BenchFigures>(json, BenchFigures.Json)
            ?? throw new InvalidOperationException($"bench: {name} printed no figures.");
        Directory.Delete(work, recursive: true);
        return figures;
    }

    private static StreamWriter OpenSamples(string file)
    {
        try
        {
            var writer = new StreamWriter(file, append: false) { AutoFlush = true };
            writer.WriteLine("mode,run,seconds,pages,rss_mib");
            return writer;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"Cannot write --samples file '{file}': {ex.Message}");
        }
    }
}
