using System.Globalization;
using Trawl.Http;

namespace Trawl.HttpCache;

/// <summary>
/// RFC 9111's rules for a private cache (a browser's, not a proxy's): what may be stored, for how long a stored
/// response is fresh, and how a stale one is revalidated. The subset a crawler needs: <c>Cache-Control</c>
/// (<c>no-store</c>, <c>no-cache</c>, <c>max-age</c>, <c>must-revalidate</c>; and in requests <c>max-age</c>,
/// <c>min-fresh</c>, <c>max-stale</c>), <c>Pragma: no-cache</c>, <c>Expires</c>, <c>Age</c>, heuristic freshness from
/// <c>Last-Modified</c>, <c>Vary</c>, and <c>ETag</c> / <c>Last-Modified</c> validators.
/// </summary>
internal static class CacheRules
{
    // RFC 9110 §15.1: statuses a cache may keep without explicit freshness.
    private static readonly HashSet<int> HeuristicallyCacheable = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501];

    // Hop-by-hop headers describe one connection (RFC 9110 §7.6.1), and a stored Set-Cookie would hand a session to
    // whoever reads the cache: neither is kept.
    private static readonly HashSet<string> NotStored = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Transfer-Encoding", "Upgrade", "TE", "Trailer", "Set-Cookie", "Set-Cookie2",
    };

    // What a 304 does not replace in the stored headers (RFC 9111 §3.2): they describe the stored body.
    private static readonly HashSet<string> KeptOnRevalidation = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Length", "Content-Encoding", "Content-Range", "Content-Type",
    };

    /// <summary>What to do with a stored response.</summary>
    public enum Verdict
    {
        /// <summary>Use it.</summary>
        Fresh,

        /// <summary>Ask the site whether it changed (it has a validator).</summary>
        Revalidate,

        /// <summary>Fetch the page again (stale, and nothing to revalidate it with).</summary>
        Refetch,
    }

    /// <summary>The headers a response is stored with.</summary>
    public static Dictionary<string, string[]> StoredHeaders(IReadOnlyDictionary<string, IReadOnlyList<string>> headers)
    {
        var stored = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in headers)
        {
            if (!NotStored.Contains(name))
            {
                stored[name] = [.. values];
            }
        }

        return stored;
    }

    /// <summary>The request's values of the headers a response's <c>Vary</c> names; <see langword="null"/> without <c>Vary</c>.</summary>
    public static Dictionary<string, string>? VaryValues(Request request, IReadOnlyDictionary<string, IReadOnlyList<string>> responseHeaders)
    {
        var names = Tokens(Header(responseHeaders, "Vary"));
        if (names.Count == 0)
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            values[name] = request.HasHeaders && request.Headers.TryGetValue(name, out var value) ? value : string.Empty;
        }

        return values;
    }

    /// <summary>Whether a stored response was stored for a request that sends the same values of the headers its <c>Vary</c> names.</summary>
    public static bool VaryMatches(CachedResponse entry, Request request) =>
        entry.Vary is null || entry.Vary.All(pair => string.Equals(
            request.HasHeaders && request.Headers.TryGetValue(pair.Key, out var value) ? value : string.Empty, pair.Value, StringComparison.Ordinal));

    /// <summary>Whether a response may be stored at all: <c>Vary: *</c> can never be matched again.</summary>
    public static bool MayStoreAny(IReadOnlyDictionary<string, IReadOnlyList<string>> responseHeaders) => !Tokens(Header(responseHeaders, "Vary")).Contains("*");

    /// <summary>Whether a response to <paramref name="request"/> may be stored under RFC 9111 by a private cache.</summary>
    public static bool MayStore(Request request, Response response, DateTimeOffset now)
    {
        if (!string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var responseControl = Directives(response.Headers);
        if (Directives(request).ContainsKey("no-store") || responseControl.ContainsKey("no-store"))
        {
            return false;
        }

        // Worth keeping only if it can be fresh, or be revalidated once stale.
        var headers = AsStored(response.Headers);
        return Lifetime(response.Status, headers, now) > TimeSpan.Zero || HasValidator(headers);
    }

    /// <summary>Whether the request asks not to use or fill the cache (<c>Cache-Control: no-store</c>).</summary>
    public static bool RequestForbidsStore(Request request) => request.HasHeaders && Directives(request).ContainsKey("no-store");

    /// <summary>What to do with a stored response for <paramref name="request"/> at <paramref name="now"/>.</summary>
    public static Verdict Judge(CachedResponse entry, Request request, DateTimeOffset now)
    {
        var responseControl = Directives(entry.Headers);
        var requestControl = Directives(request);
        // Pragma counts only in a request without Cache-Control (RFC 9111 §5.4).
        var mustAsk = responseControl.ContainsKey("no-cache") || requestControl.ContainsKey("no-cache")
            || (request.HasHeaders && !request.Headers.ContainsKey("Cache-Control") && request.Headers.TryGetValue("Pragma", out var pragma) && Tokens(pragma).Contains("no-cache"));
        if (!mustAsk)
        {
            var lifetime = Lifetime(entry.Status, entry.Headers, entry.StoredAt);
            var age = Age(entry, now);
            var fresh = age < lifetime
                && (Seconds(requestControl, "max-age") is not { } maxAge || age <= maxAge)
                && (Seconds(requestControl, "min-fresh") is not { } minFresh || lifetime - age >= minFresh);
            var staleAllowed = requestControl.TryGetValue("max-stale", out var maxStale) && !responseControl.ContainsKey("must-revalidate")
                && (maxStale is null || (Seconds(requestControl, "max-stale") is { } stale && age - lifetime <= stale));
            if (fresh || staleAllowed)
            {
                return Verdict.Fresh;
            }
        }

        return HasValidator(entry.Headers) ? Verdict.Revalidate : Verdict.Refetch;
    }

    /// <summary>The request to revalidate a stored response with: the original, with <c>If-None-Match</c> and <c>If-Modified-Since</c>.</summary>
    public static Request Conditional(Request request, CachedResponse entry) =>
        request.Conditional(new PageValidators(Header(entry.Headers, "ETag"), Header(entry.Headers, "Last-Modified")));

    /// <summary>A stored response renewed by a <c>304 Not Modified</c>: its headers updated with the 304's, and its time now.</summary>
    public static CachedResponse Renewed(CachedResponse entry, Response notModified, DateTimeOffset now)
    {
        var headers = new Dictionary<string, string[]>(entry.Headers, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in StoredHeaders(notModified.Headers))
        {
            if (!KeptOnRevalidation.Contains(name))
            {
                headers[name] = values;
            }
        }

        return entry with { Headers = headers, StoredAt = now };
    }

    // RFC 9111 §4.2.1. A private cache ignores s-maxage.
    private static TimeSpan Lifetime(int status, IReadOnlyDictionary<string, string[]> headers, DateTimeOffset storedAt)
    {
        if (Seconds(Directives(headers), "max-age") is { } maxAge)
        {
            return maxAge;
        }

        var date = HttpDates.TryParse(Header(headers, "Date"), out var sent) ? sent : storedAt;
        if (Header(headers, "Expires") is { } expiresText)
        {
            // An invalid Expires ("0", "-1") means already expired.
            return HttpDates.TryParse(expiresText, out var expires) && expires > date ? expires - date : TimeSpan.Zero;
        }

        if (HeuristicallyCacheable.Contains(status) && HttpDates.TryParse(Header(headers, "Last-Modified"), out var modified) && modified < date)
        {
            return (date - modified) / 10;
        }

        return TimeSpan.Zero;
    }

    // RFC 9111 §4.2.3, with the response time taken as the time the entry was stored.
    private static TimeSpan Age(CachedResponse entry, DateTimeOffset now)
    {
        var apparent = HttpDates.TryParse(Header(entry.Headers, "Date"), out var date) && entry.StoredAt > date ? entry.StoredAt - date : TimeSpan.Zero;
        var ageHeader = long.TryParse(Header(entry.Headers, "Age"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue)) : TimeSpan.Zero;
        var resident = now > entry.StoredAt ? now - entry.StoredAt : TimeSpan.Zero;
        return (apparent > ageHeader ? apparent : ageHeader) + resident;
    }

    private static bool HasValidator(IReadOnlyDictionary<string, string[]> headers) =>
        Header(headers, "ETag") is not null || Header(headers, "Last-Modified") is not null;

    private static Dictionary<string, string[]> AsStored(IReadOnlyDictionary<string, IReadOnlyList<string>> headers) =>
        headers.ToDictionary(static pair => pair.Key, static pair => pair.Value.ToArray(), StringComparer.OrdinalIgnoreCase);

    private static TimeSpan? Seconds(Dictionary<string, string?> directives, string name) =>
        directives.TryGetValue(name, out var value) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue))
            : null;

    private static Dictionary<string, string?> Directives(Request request) =>
        request.HasHeaders && request.Headers.TryGetValue("Cache-Control", out var value) ? Directives([value]) : [];

    private static Dictionary<string, string?> Directives(IReadOnlyDictionary<string, IReadOnlyList<string>> headers) =>
        Directives(Values(headers, "Cache-Control"));

    private static Dictionary<string, string?> Directives(IReadOnlyDictionary<string, string[]> headers) =>
        Directives(Values(headers, "Cache-Control"));

    // "max-age=60, no-cache" gives max-age → 60 and no-cache → null. A repeated directive keeps its first value.
    private static Dictionary<string, string?> Directives(IEnumerable<string> values)
    {
        var directives = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? part : part[..equals].Trim();
                directives.TryAdd(name, equals < 0 ? null : part[(equals + 1)..].Trim().Trim('"'));
            }
        }

        return directives;
    }

    private static HashSet<string> Tokens(string? value) =>
        value is null ? [] : new(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);

    private static string? Header(IReadOnlyDictionary<string, IReadOnlyList<string>> headers, string name) =>
        Values(headers, name).FirstOrDefault();

    private static string? Header(IReadOnlyDictionary<string, string[]> headers, string name) =>
        Values(headers, name).FirstOrDefault();

    private static IEnumerable<string> Values(IReadOnlyDictionary<string, IReadOnlyList<string>> headers, string name) =>
        headers.TryGetValue(name, out var values) ? values : [];

    private static IEnumerable<string> Values(IReadOnlyDictionary<string, string[]> headers, string name) =>
        headers.TryGetValue(name, out var values) ? values : [];
}
