using System.Diagnostics;
using System.Globalization;

namespace Trawl.Bench.Jobs;

/// <summary>CPU, memory and disk figures read from the operating system.</summary>
internal static class ProcessStats
{
    /// <summary>The CPU time (user and system) this process has used so far.</summary>
    public static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>This process's peak resident set size in KiB (<c>VmHWM</c> in <c>/proc/self/status</c>), or -1 where there is none.</summary>
    public static long PeakResidentKib() => ReadStatusKib("VmHWM:");

    /// <summary>This process's current resident set size in KiB (<c>VmRSS</c>), or -1 where there is none.</summary>
    public static long ResidentKib() => ReadStatusKib("VmRSS:");

    /// <summary>The bytes of every file under <paramref name="directory"/>.</summary>
    public static long DirectoryBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(static f => f.Length);

    public static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

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
