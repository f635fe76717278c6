namespace Trawl.Sandbox.Site;

/// <summary>A validated, frozen copy of <see cref="SandboxOptions"/>, with the quote catalog built on first use.</summary>
internal sealed class SiteModel
{
    private readonly Lazy<QuoteCatalog> _quotes;

    public SiteModel(SandboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options.Clone();
        _quotes = new Lazy<QuoteCatalog>(() => new QuoteCatalog(Options));
    }

    public SandboxOptions Options { get; }

    public int Pages => Options.Pages;

    public QuoteCatalog Quotes => _quotes.Value;

    public bool HasQuotes => Options.QuotePages > 0;

    public bool HasApp => Options.AppPages > 0;
}
