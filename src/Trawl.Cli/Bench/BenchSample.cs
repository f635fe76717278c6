using System.Globalization;

namespace Trawl.Cli.Bench;

/// <summary>
/// A progress sample a benchmark run's child process writes to standard error about once a second:
/// <c>progress SECONDS PAGES RSS_KIB</c>. The parent shows it and can write it to <c>--samples</c>.
/// </summary>
internal readonly record struct BenchSample(double Seconds, long Pages, long ResidentKib)
{
    private const string Prefix = "progress ";

    public static BenchSample Now(TimeSpan elapsed, long pages) => new(elapsed.TotalSeconds, pages, ProcessFigures.ResidentKib());

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Seconds:F3} {Pages} {ResidentKib}");

    public static bool TryParse(string line, out BenchSample sample)
    {
        sample = default;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var parts = line[Prefix.Length..].Split(' ');
        if (parts.Length == 3
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pages)
            && long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rss))
        {
            sample = new BenchSample(seconds, pages, rss);
            return true;
        }

        return false;
    }
}
