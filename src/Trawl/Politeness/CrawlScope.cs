namespace Trawl.Politeness;

/// <summary>
/// The hosts a crawl may visit (<see cref="Crawling.CrawlOptions.AllowedDomains"/>): each allowed domain and its subdomains,
/// whatever the scheme or port. Thread-safe and immutable.
/// </summary>
internal sealed class CrawlScope
{
    private readonly HashSet<string> _domains;

    private CrawlScope(HashSet<string> domains) => _domains = domains;

    /// <summary>The scope of the allowed domains, or <see langword="null"/> when there are none: every host is allowed.</summary>
    /// <exception cref="ArgumentException">One of <paramref name="allowedDomains"/> is not a domain name.</exception>
    public static CrawlScope? From(IEnumerable<string> allowedDomains)
    {
        var domains = new HashSet<string>(StringComparer.Ordinal);
        foreach (var domain in allowedDomains)
        {
            domains.Add(DomainNames.Normalize(domain) ?? throw new ArgumentException($"'{domain}' is not a domain.", nameof(allowedDomains)));
        }

        return domains.Count == 0 ? null : new CrawlScope(domains);
    }

    /// <summary>Whether the URL's host is an allowed domain or a subdomain of one.</summary>
    public bool Allows(Uri url)
    {
        var candidate = DomainNames.HostOf(url);
        if (DomainNames.IsIpAddress(candidate))
        {
            return _domains.Contains(candidate);
        }

        while (!_domains.Contains(candidate))
        {
            var dot = candidate.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                return false;
            }

            candidate = candidate[(dot + 1)..];
        }

        return true;
    }

    public override string ToString() => string.Join(", ", _domains.Order(StringComparer.Ordinal));
}
