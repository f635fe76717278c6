namespace Trawl.Politeness;

/// <summary>
/// Settings for one domain that override the crawl-wide ones (<see cref="Crawling.CrawlOptions.Domains"/>). A setting left
/// <see langword="null"/> keeps the crawl-wide value.
/// </summary>
public sealed class DomainSettings
{
    private bool _frozen;

    /// <summary>How many requests may be in flight to the domain; overrides <see cref="Crawling.CrawlOptions.ConcurrencyPerDomain"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public int? Concurrency { get; set => field = OptionChecks.Set(_frozen, value, "Domains[]."); }

    /// <summary>The delay between requests to the domain; overrides <see cref="Crawling.CrawlOptions.DownloadDelay"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public TimeSpan? DownloadDelay { get; set => field = OptionChecks.Set(_frozen, value, "Domains[]."); }

    /// <summary>The most pages fetched from the domain in one run; overrides <see cref="Crawling.CrawlOptions.MaxPagesPerDomain"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? MaxPages { get; set => field = OptionChecks.Set(_frozen, value, "Domains[]."); }

    /// <summary>Refuses every later change.</summary>
    internal void Freeze() => _frozen = true;

    internal void Validate(string domain)
    {
        OptionChecks.Require(Concurrency is null or >= 1, $"Domains[{domain}].Concurrency", "must be at least 1");
        OptionChecks.Require(DownloadDelay is null || DownloadDelay >= TimeSpan.Zero, $"Domains[{domain}].DownloadDelay", "must not be negative");
        OptionChecks.Require(MaxPages is null or > 0, $"Domains[{domain}].MaxPages", "must be positive");
    }
}
