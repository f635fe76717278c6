using System.Collections.Frozen;

namespace Trawl.Sandbox.Site;

/// <summary>
/// Every quote of a site, with its authors and tags. Quote <c>k</c> (from 0) takes built-in text
/// <c>(k + offset) mod count</c>, where the offset comes from the seed, and 1 to 4 tags drawn from the seed and <c>k</c>.
/// </summary>
internal sealed class QuoteCatalog
{
    public QuoteCatalog(SandboxOptions options)
    {
        var total = options.QuotePages * options.QuotesPerPage;
        QuotesPerPage = options.QuotesPerPage;
        var offset = new SplitMix64(options.Seed, RandomStreams.QuoteOrder, 0).NextInt(QuoteData.Texts.Length);
        var quotes = new SandboxQuote[total];
        var authors = new List<SandboxAuthor>();
        var seenAuthors = new HashSet<int>();
        var byTag = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var k = 0; k < total; k++)
        {
            var (text, authorIndex) = QuoteData.Texts[(k + offset) % QuoteData.Texts.Length];
            var author = QuoteData.Authors[authorIndex];
            if (seenAuthors.Add(authorIndex))
            {
                authors.Add(author);
            }

            var tags = DrawTags(options.Seed, k);
            foreach (var tag in tags)
            {
                if (!byTag.TryGetValue(tag, out var list))
                {
                    byTag[tag] = list = [];
                }

                list.Add(k);
            }

            quotes[k] = new SandboxQuote(k / QuotesPerPage + 1, k + 1, $"“{text} (#{k + 1})”", author.Name, author.Slug, tags);
        }

        All = quotes;
        Authors = authors;
        AuthorsBySlug = authors.ToFrozenDictionary(a => a.Slug, StringComparer.Ordinal);
        QuotesByTag = byTag.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        Tags = [.. byTag.Keys.Order(StringComparer.Ordinal)];
    }

    public int QuotesPerPage { get; }

    public IReadOnlyList<SandboxQuote> All { get; }

    /// <summary>The authors that have at least one quote, in order of their first quote.</summary>
    public IReadOnlyList<SandboxAuthor> Authors { get; }

    public FrozenDictionary<string, SandboxAuthor> AuthorsBySlug { get; }

    /// <summary>Indexes into <see cref="All"/> of each tag's quotes, in order.</summary>
    public FrozenDictionary<string, int[]> QuotesByTag { get; }

    /// <summary>The tags that have at least one quote, in ordinal order.</summary>
    public IReadOnlyList<string> Tags { get; }

    public int PageCount(int quoteCount) => (quoteCount + QuotesPerPage - 1) / QuotesPerPage;

    private static string[] DrawTags(long seed, int k)
    {
        var random = new SplitMix64(seed, RandomStreams.QuoteTags, k);
        var tags = new string[1 + random.NextInt(4)];
        var count = 0;
        while (count < tags.Length)
        {
            var tag = QuoteData.Tags[random.NextInt(QuoteData.Tags.Length)];
            if (Array.IndexOf(tags, tag, 0, count) < 0)
            {
                tags[count++] = tag;
            }
        }

        Array.Sort(tags, StringComparer.Ordinal);
        return tags;
    }
}
