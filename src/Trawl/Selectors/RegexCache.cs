using System.Text.RegularExpressions;

namespace Trawl.Selectors;

/// <summary>Compiled regular expressions for <c>Re</c>, by pattern, and the extraction rule they share.</summary>
internal static class RegexCache
{
    /// <summary>How many distinct patterns are kept. When full, the cache starts over.</summary>
    internal const int Capacity = 256;

    private static readonly ParseCache<Regex> Cache = new(Capacity, static pattern => new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, SelectorList.RegexTimeout));

    public static Regex Get(string pattern) => Cache.Get(pattern);

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
