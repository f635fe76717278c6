using System.Globalization;

namespace Trawl.Bench.Jobs;

/// <summary>Disk figures; CPU and memory come from <see cref="Trawl.Cli.Bench.ProcessFigures"/>.</summary>
internal static class ProcessStats
{
    /// <summary>The bytes of every file under <paramref name="directory"/>.</summary>
    public static long DirectoryBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(static f => f.Length);

    public static string Mib(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
}
