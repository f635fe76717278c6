using System.Diagnostics;
using System.Globalization;

namespace Trawl.Cli.Bench;

/// <summary>What the operating system says about this process: CPU time, resident memory and start time.</summary>
internal static class ProcessFigures
{
    /// <summary>The CPU time (user and system, all threads) this process has used so far.</summary>
    public static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>When this process started, in UTC (to the kernel's clock tick, 10 ms on Linux).</summary>
    public static DateTime StartTimeUtc()
    {
        using var process = Process.GetCurrentProcess();
        return process.StartTime.ToUniversalTime();
    }

    /// <summary>This process's peak resident set size in KiB (<c>VmHWM</c> in <c>/proc/self/status</c>), or -1 where there is none.</summary>
    public static long PeakResidentKib() => ReadStatusKib("VmHWM:");

    /// <summary>This process's resident set size now, in KiB (<c>VmRSS</c>), or -1 where there is none.</summary>
    public static long ResidentKib() => ReadStatusKib("VmRSS:");

    private static long ReadStatusKib(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return -1;
        }

        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                // "VmHWM:	  123456 kB"
                var digits = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(digits, CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
