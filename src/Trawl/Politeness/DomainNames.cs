namespace Trawl.Politeness;

/// <summary>
/// Host names as the politeness settings compare them: lower-case, IDN in its ASCII (punycode) form, no trailing dot.
/// A domain covers itself and its subdomains: <c>example.com</c> covers <c>www.example.com</c>, not <c>badexample.com</c>.
/// </summary>
/// <remarks>
/// Use <see cref="Normalize"/> to check a domain a user gave (for <see cref="Crawling.CrawlOptions.AllowedDomains"/> or a
/// key of <see cref="Crawling.CrawlOptions.Domains"/>) before a crawl; the crawl's own validation does the same.
/// </remarks>
public static class DomainNames
{
    /// <summary>
    /// Normalizes a domain as a user wrote it (<c>Example.COM</c>, <c>.example.com</c>, <c>bücher.de</c>,
    /// <c>127.0.0.1</c>, <c>[::1]</c>); <see langword="null"/> when it is not a host name (a URL, a port, a path).
    /// </summary>
    public static string? Normalize(string? domain)
    {
        var text = domain?.Trim().TrimStart('.').TrimEnd('.');
        if (string.IsNullOrEmpty(text) || text.Contains('/', StringComparison.Ordinal) || text.Contains('@', StringComparison.Ordinal)
            || (text.Contains(':', StringComparison.Ordinal) && !text.StartsWith('[')))
        {
            return null;
        }

        return Uri.TryCreate("http://" + text + "/", UriKind.Absolute, out var uri) && uri.IsDefaultPort && uri.AbsolutePath == "/"
            ? HostOf(uri)
            : null;
    }

    /// <summary>Whether a normalized host is an IP address, which has no parent domains.</summary>
    internal static bool IsIpAddress(string host) =>
        Uri.CheckHostName(host.Trim('[', ']')) is UriHostNameType.IPv4 or UriHostNameType.IPv6;

    /// <summary>The host of a URL in normalized form.</summary>
    internal static string HostOf(Uri url) => url.IdnHost.TrimEnd('.').ToLowerInvariant();

    /// <summary>
    /// Finds the entry for <paramref name="host"/>: its own, or else that of the nearest parent domain
    /// (<c>a.b.example.com</c>, then <c>b.example.com</c>, then <c>example.com</c>…).
    /// </summary>
    internal static bool TryFind<T>(IReadOnlyDictionary<string, T> byDomain, string host, out T value)
    {
        var candidate = host;
        while (true)
        {
            if (byDomain.TryGetValue(candidate, out value!))
            {
                return true;
            }

            var dot = candidate.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || (ReferenceEquals(candidate, host) && IsIpAddress(host)))
            {
                return false;
            }

            candidate = candidate[(dot + 1)..];
        }
    }
}
