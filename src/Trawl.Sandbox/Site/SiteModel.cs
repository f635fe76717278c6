namespace Trawl.Sandbox.Site;

/// <summary>A validated, frozen copy of <see cref="SandboxOptions"/>, with the quote catalog built on first use.</summary>
internal sealed class SiteModel
{
    private readonly Lazy<QuoteCatalog> _quotes;
    private readonly HashSet<int> _bigPages;

    public SiteModel(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options.Clone();
        _quotes = new Lazy<QuoteCatalog>(() => new QuoteCatalog(Options));
        _bigPages = [.. BigPageIndexes(Options.Pages, Options.BigPages)];
    }

    public SandboxOptions Options { get; }

    public int Pages => Options.Pages;

    public QuoteCatalog Quotes => _quotes.Value;

    public bool HasQuotes => Options.QuotePages > 0;

    public bool HasApp => Options.AppPages > 0;

    /// <summary>Whether synthetic page <paramref name="index"/> is one of the big pages.</summary>
    public bool IsBig(int index) => _bigPages.Contains(index);

    /// <summary>
    /// The big pages, spread evenly: the middle page of each of <paramref name="bigPages"/> equal stretches of the
    /// site, so they are distinct whenever there are at least as many pages.
    /// </summary>
    public static IEnumerable<int> BigPageIndexes(int pages, int bigPages)
    {
        for (var k = 0L; k < bigPages; k++)
        {
            yield return (int)((((2 * k) + 1) * pages) / (2L * bigPages));
        }
    }
}
