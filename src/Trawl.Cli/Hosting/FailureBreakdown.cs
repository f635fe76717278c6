using System.Globalization;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// How the CLI tells what went wrong in a crawl, in its closing line and its live display: requests that failed by
/// their final kind, retries by the kind that caused them, failed items by kind, and any other error events (faults of
/// the spider's hooks, say). Each list adds up to the count before it; nothing is counted in two.
/// </summary>
internal static class FailureBreakdown
{
    /// <summary>Every part with something in it, for example <c>["15 failed (http_404 12, http_503 3)", "6 retries (http_503 6)"]</c>; the failed part always.</summary>
    public static List<string> Parts(CrawlStats stats)
    {
        var parts = new List<string> { Counted(stats.Failed, "failed", stats.FailedByKind) };
        if (stats.Retries > 0)
        {
            parts.Add(Counted(stats.Retries, stats.Retries == 1 ? "retry" : "retries", stats.RetriesByKind));
        }

        if (stats.ItemsFailed > 0)
        {
            parts.Add(Counted(stats.ItemsFailed, "items failed", stats.ItemsFailedByKind));
        }

        if (OtherErrors(stats) is { Count: > 0 } other)
        {
            parts.Add("other errors: " + Kinds(other));
        }

        return parts;
    }

    /// <summary>
    /// Error events that are neither a failed request, a retry nor a failed item: <see cref="CrawlStats.ErrorsByKind"/>
    /// counts each of those once, and these besides.
    /// </summary>
    public static SortedDictionary<string, long> OtherErrors(CrawlStats stats)
    {
        var other = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (kind, count) in stats.ErrorsByKind)
        {
            var left = count - stats.FailedByKind.GetValueOrDefault(kind) - stats.RetriesByKind.GetValueOrDefault(kind) - stats.ItemsFailedByKind.GetValueOrDefault(kind);
            if (left > 0)
            {
                other[kind] = left;
            }
        }

        return other;
    }

    /// <summary><c>http_404 12, http_503 3</c>: most frequent first, then by name.</summary>
    public static string Kinds(IEnumerable<KeyValuePair<string, long>> counts) =>
        string.Join(", ", counts.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key} {pair.Value:N0}")));

    /// <summary><c>15 failed (http_404 12, http_503 3)</c>, or <c>0 failed</c> with no kinds.</summary>
    public static string Counted(long count, string what, IEnumerable<KeyValuePair<string, long>> byKind)
    {
        var total = string.Create(CultureInfo.InvariantCulture, $"{count:N0} {what}");
        var kinds = Kinds(byKind);
        return kinds.Length == 0 ? total : $"{total} ({kinds})";
    }
}
