using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trawl.Cli.Bench;

/// <summary>
/// What one benchmark run measured, in the process that ran it. CPU time, allocations and peak RSS are the whole
/// process's (start-up included); <see cref="Seconds"/> runs from the first request to the last page.
/// </summary>
internal sealed record BenchFigures
{
    /// <summary>The JSON shape shared by the run's child process, <c>trawl bench --json</c> and the tests.</summary>
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Pages fetched with status 200 (and, when crawling, parsed).</summary>
    public required long Pages { get; init; }

    /// <summary>Requests that ended in an error or another status.</summary>
    public long Failed { get; init; }

    /// <summary>Links resolved (the fetch+parse ceiling only).</summary>
    public long Links { get; init; }

    /// <summary>Seconds from the start of the crawl (or loop) to its end, process start-up excluded.</summary>
    public required double Seconds { get; init; }

    /// <summary>CPU seconds (user and system) the whole process used.</summary>
    public required double CpuSeconds { get; init; }

    /// <summary>Bytes the whole process allocated on the managed heap.</summary>
    public required long AllocatedBytes { get; init; }

    /// <summary>The process's peak resident set size (VmHWM), in bytes.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>Milliseconds from the process's start to the first response.</summary>
    public required double TimeToFirstPageMs { get; init; }

    public double PagesPerSecond => Seconds > 0 ? Pages / Seconds : 0;

    public double CpuMicrosecondsPerPage => Pages > 0 ? CpuSeconds * 1e6 / Pages : 0;

    public double AllocatedBytesPerPage => Pages > 0 ? (double)AllocatedBytes / Pages : 0;

    public double PeakRssMib => PeakRssBytes / 1024.0 / 1024.0;
}
