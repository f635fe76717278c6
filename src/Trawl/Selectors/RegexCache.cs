using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Trawl.Selectors;

/// <summary>Compiled regular expressions for <c>Re</c>, by pattern, and the extraction rule they share.</summary>
internal static class RegexCache
{
    /// <summary>How many distinct patterns are kept. When full, the cache starts over.</summary>
    internal const int Capacity = 256;

    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    public static Regex Get(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (Cache.TryGetValue(pattern, out var regex))
        {
            return regex;
        }

        regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, SelectorList.RegexTimeout);
        if (Cache.Count >= Capacity)
        {
            Cache.Clear();
        }

        return Cache.GetOrAdd(pattern, regex);
    }

    // Group 1 when the pattern has groups, else the whole match (Scrapy's re() with one group).
    public static void Extract(Regex regex, string input, List<string> results, bool firstOnly)
    {
        var useGroup = regex.GetGroupNumbers().Length > 1;
        for (var match = regex.Match(input); match.Success; match = match.NextMatch())
        {
            if (!useGroup)
            {
                results.Add(match.Value);
            }
            else if (match.Groups[1].Success)
            {
                results.Add(match.Groups[1].Value);
            }
            else
            {
                continue;
            }

            if (firstOnly)
            {
                return;
            }
        }
    }
}
