using Trawl.Engine;

namespace Trawl.Politeness;

/// <summary>
/// Settings for one domain that override the crawl-wide ones (<see cref="CrawlOptions.Domains"/>). A setting left
/// <see langword="null"/> keeps the crawl-wide value.
/// </summary>
public sealed class DomainSettings
{
    /// <summary>How many requests may be in flight to the domain; overrides <see cref="CrawlOptions.ConcurrencyPerDomain"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public int? Concurrency { get; set; }

    /// <summary>The delay between requests to the domain; overrides <see cref="CrawlOptions.DownloadDelay"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public TimeSpan? DownloadDelay { get; set; }

    /// <summary>The most pages fetched from the domain in one run; overrides <see cref="CrawlOptions.MaxPagesPerDomain"/>.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public long? MaxPages { get; set; }

    internal void Validate(string domain)
    {
        CrawlOptions.Require(Concurrency is null or >= 1, $"Domains[{domain}].Concurrency", "must be at least 1");
        CrawlOptions.Require(DownloadDelay is null || DownloadDelay >= TimeSpan.Zero, $"Domains[{domain}].DownloadDelay", "must not be negative");
        CrawlOptions.Require(MaxPages is null or > 0, $"Domains[{domain}].MaxPages", "must be positive");
    }
}
