using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Spectre.Console;

namespace Trawl.Cli.Bench;

/// <summary>The machine a benchmark ran on.</summary>
internal sealed record BenchMachine(int Cores, string Cpu, string Os, string Dotnet)
{
    public static BenchMachine Current() =>
        new(Environment.ProcessorCount, CpuModel(), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        var model = File.Exists(cpuinfo)
            ? File.ReadLines(cpuinfo).FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return model ?? RuntimeInformation.ProcessArchitecture.ToString();
    }
}

/// <summary>One mode's medians over its runs, and the runs.</summary>
internal sealed record BenchModeReport(
    string Mode,
    long Pages,
    double PagesPerSecond,
    double PagesPerSecondMin,
    double PagesPerSecondMax,
    double CpuMicrosecondsPerPage,
    double AllocatedBytesPerPage,
    double PeakRssMib,
    double TimeToFirstPageMs,
    double? PercentOfFetchParse,
    IReadOnlyList<BenchFigures> Runs);

/// <summary>What <c>trawl bench</c> reports: as a table, or as JSON with <c>--json</c>.</summary>
internal sealed record BenchReport(BenchMachine Machine, BenchSite Site, int Concurrency, int ConcurrencyPerDomain, int? CeilingConnections, int Runs, bool Complete, IReadOnlyList<string> Fields, IReadOnlyList<BenchModeReport> Modes)
{
    /// <summary>The in-memory crawl's pages/s over the job-directory crawl's (medians), when both ran.</summary>
    public double? JobDirToMemory => Find(BenchMode.JobDir) is { } jobDir && Find(BenchMode.Memory) is { PagesPerSecond: > 0 } memory ? jobDir.PagesPerSecond / memory.PagesPerSecond : null;

    public static BenchReport Build(BenchSettings settings, BenchSite site, IReadOnlyDictionary<BenchMode, List<BenchFigures>> runs)
    {
        var ceiling = runs.TryGetValue(BenchMode.FetchParse, out var parse) ? Median(parse.Select(run => run.PagesPerSecond)) : (double?)null;
        var modes = settings.AllModes.Select(mode =>
        {
            var figures = runs[mode];
            var rates = figures.Select(run => run.PagesPerSecond).ToList();
            var rate = Median(rates);
            return new BenchModeReport(
                mode.Name(),
                figures.Min(run => run.Pages),
                rate,
                rates.Min(),
                rates.Max(),
                Median(figures.Select(run => run.CpuMicrosecondsPerPage)),
                Median(figures.Select(run => run.AllocatedBytesPerPage)),
                Median(figures.Select(run => run.PeakRssMib)),
                Median(figures.Select(run => run.TimeToFirstPageMs)),
                mode.IsCrawl() && ceiling > 0 ? 100 * rate / ceiling : null,
                figures);
        }).ToList();
        var complete = runs.Values.All(list => list.All(run => run.Pages == site.Pages && run.Failed == 0));
        return new BenchReport(BenchMachine.Current(), site, settings.Concurrency, settings.Concurrency, settings.Ceiling ? CeilingLoop.Connections : null, settings.Runs, complete, settings.Fields, modes);
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions(BenchFigures.Json) { WriteIndented = true });

    /// <summary>Writes the summary: a table drawn with Spectre.Console on a terminal, Markdown (to paste) otherwise.</summary>
    public void Write(TextWriter output)
    {
        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var (header, index) in Headers.Select((header, index) => (header, index)))
            {
                table.AddColumn(index == 0 ? new TableColumn(header) : new TableColumn(header).RightAligned());
            }

            foreach (var row in Rows())
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            console.WriteLine(Heading());
            console.Write(table);
            foreach (var line in Notes())
            {
                console.WriteLine(line);
            }

            return;
        }

        output.WriteLine(Heading());
        output.WriteLine();
        output.WriteLine("| " + string.Join(" | ", Headers) + " |");
        output.WriteLine("|---" + string.Concat(Enumerable.Repeat("|---:", Headers.Length - 1)) + "|");
        foreach (var row in Rows())
        {
            output.WriteLine("| " + string.Join(" | ", row) + " |");
        }

        output.WriteLine();
        foreach (var line in Notes())
        {
            output.WriteLine(line);
        }
    }

    private static readonly string[] Headers = ["Mode", "Pages", "Pages/s", "CPU µs/page", "Allocated KB/page", "Peak RSS MiB", "First page ms", "% of fetch+parse"];

    private BenchModeReport? Find(BenchMode mode) => Modes.FirstOrDefault(report => report.Mode == mode.Name());

    private string Heading() =>
        Invariant($"trawl bench: {Site.Pages:N0} pages at {Site.Url} ({Site.Server}); concurrency {Concurrency}, {ConcurrencyPerDomain} per domain (the site is one host, so bench raises the per-domain limit to the total); ")
        + (Runs == 1 ? "1 run." : Invariant($"medians of {Runs} runs [min–max].")) + "\n"
        + "Item fields: " + string.Join(", ", Fields) + ".\n"
        + Invariant($"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.Os}, {Machine.Dotnet}.");

    private IEnumerable<string[]> Rows() => Modes.Select(mode => new[]
    {
        BenchModes.TryParse(mode.Mode, out var parsed) && !parsed.IsCrawl() ? $"{mode.Mode} (ceiling)" : mode.Mode,
        Invariant($"{mode.Pages:N0}"),
        Runs > 1 ? Invariant($"{mode.PagesPerSecond:N0} [{mode.PagesPerSecondMin:N0}–{mode.PagesPerSecondMax:N0}]") : Invariant($"{mode.PagesPerSecond:N0}"),
        Invariant($"{mode.CpuMicrosecondsPerPage:N0}"),
        Invariant($"{mode.AllocatedBytesPerPage / 1024:N1}"),
        Invariant($"{mode.PeakRssMib:N0}"),
        Invariant($"{mode.TimeToFirstPageMs:N0}"),
        mode.PercentOfFetchParse is { } percent ? Invariant($"{percent:N0}%") : "",
    });

    private IEnumerable<string> Notes()
    {
        if (JobDirToMemory is { } ratio)
        {
            yield return Invariant($"jobdir / memory: {ratio:0.00} (pages/s).");
        }

        yield return "CPU time, allocations and peak RSS are the whole crawler process's, start-up included; the server's are not. Pages/s runs from the first request to the last page.";
        if (CeilingConnections is { } connections)
        {
            yield return Invariant($"Ceilings: a plain HttpClient loop over the same pages with {connections} connections (fetch), and the same loop plus an AngleSharp parse and link resolution per page (fetch+parse).");
        }

        if (!Complete)
        {
            yield return Invariant($"WARNING: not every run fetched all {Site.Pages:N0} pages without failures; see the runs in --json.");
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
