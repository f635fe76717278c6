using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Trawl.Http;

/// <summary>
/// Turns equivalent URLs into one canonical string, for request fingerprints.
/// </summary>
/// <remarks>
/// The canonical form:
/// <list type="bullet">
/// <item>lower-cases the scheme and host;</item>
/// <item>drops the default port (80 for http, 443 for https);</item>
/// <item>drops the fragment;</item>
/// <item>writes an empty path as <c>/</c>;</item>
/// <item>sorts query parameters by name, then value (ordinal), and drops empty <c>&amp;&amp;</c> segments;</item>
/// <item>normalises percent-encoding: escapes of unreserved characters (<c>A-Z a-z 0-9 - . _ ~</c>) are decoded,
/// other escapes are upper-cased, and characters that must be escaped (spaces, non-ASCII as UTF-8) are escaped.</item>
/// </list>
/// Path case, trailing slashes and <c>+</c> in queries are kept as they are, since servers may tell them apart.
/// Canonicalizing a canonical URL returns it unchanged.
/// </remarks>
internal static class UrlCanonicalizer
{
    // One builder per thread for the general path, reused from link to link; a builder grown by a huge URL is dropped.
    private const int MaxCachedBuilderCapacity = 4096;

    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>Returns the canonical form of an absolute http or https URL.</summary>
    /// <exception cref="ArgumentException"><paramref name="url"/> is not an absolute http or https URL.</exception>
    public static string Canonicalize(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            throw new ArgumentException($"'{url}' is not absolute.", nameof(url));
        }

        // Other schemes (mailto:, urn:, file:) have no host and port in the sense the rules below assume, and their
        // "canonical" form would not parse back to the same thing. Requests are always http(s).
        if (!IsHttp(url))
        {
            throw new ArgumentException($"'{url}' is not an http or https URL.", nameof(url));
        }

        return TryGetCanonicalAsIs(url, out var canonical) ? canonical : CanonicalizeGeneral(url);
    }

    /// <summary>The general way, which builds the canonical form part by part; <see cref="Canonicalize"/> skips it when the URL is already canonical.</summary>
    internal static string CanonicalizeGeneral(Uri url)
    {
        var builder = t_builder ?? new StringBuilder(256);
        t_builder = null;
        builder.Clear();
        builder.Append(url.Scheme.ToLowerInvariant()).Append("://");
        var userInfo = url.UserInfo;
        if (userInfo.Length > 0)
        {
            AppendNormalized(builder, userInfo, QueryPart.None);
            builder.Append('@');
        }

        builder.Append(CanonicalHost(url));
        if (!url.IsDefaultPort && url.Port >= 0)
        {
            builder.Append(':').Append(url.Port);
        }

        var path = url.GetComponents(UriComponents.Path | UriComponents.KeepDelimiter, UriFormat.UriEscaped);
        if (path.Length == 0)
        {
            builder.Append('/');
        }
        else
        {
            if (path[0] != '/')
            {
                builder.Append('/');
            }

            AppendNormalized(builder, path, QueryPart.None);
        }

        var query = url.GetComponents(UriComponents.Query, UriFormat.UriEscaped);
        if (query.Length > 0)
        {
            AppendSortedQuery(builder, query);
        }

        var canonical = builder.ToString();
        if (builder.Capacity <= MaxCachedBuilderCapacity)
        {
            t_builder = builder;
        }

        return canonical;
    }

    /// <summary>Canonicalizes a URL string; returns <see langword="false"/> when it is not an absolute http or https URL. Never throws.</summary>
    public static bool TryCanonicalize(string? url, out string canonical)
    {
        canonical = string.Empty;
        try
        {
            if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || !IsHttp(uri))
            {
                return false;
            }

            canonical = Canonicalize(uri);
            return true;
        }
        catch (Exception ex) when (ex is UriFormatException or InvalidOperationException or ArgumentException)
        {
            // System.Uri can throw from its getters on pathological input; such a URL has no canonical form.
            canonical = string.Empty;
            return false;
        }
    }

    // The common case: a link whose absolute form is already canonical (lower-case ASCII host, no user info, no
    // default port, no fragment, escapes already normal, query parameters already in order). Uri caches AbsoluteUri,
    // and Request has already read it, so returning it allocates nothing. Anything unusual goes the general way.
    internal static bool TryGetCanonicalAsIs(Uri url, [NotNullWhen(true)] out string? canonical)
    {
        canonical = null;
        var text = url.AbsoluteUri;
        var s = text.AsSpan();
        int authority;
        if (s.StartsWith("http://", StringComparison.Ordinal))
        {
            authority = 7;
        }
        else if (s.StartsWith("https://", StringComparison.Ordinal))
        {
            authority = 8;
        }
        else
        {
            return false;
        }

        var pathStart = s[authority..].IndexOf('/');
        if (pathStart <= 0 || !IsCanonicalAuthority(url, s.Slice(authority, pathStart)))
        {
            return false;
        }

        var rest = s[(authority + pathStart)..];
        var queryStart = rest.IndexOfAny('?', '#');
        if (queryStart < 0)
        {
            if (!IsCanonicalComponent(rest, QueryPart.None))
            {
                return false;
            }
        }
        else if (rest[queryStart] == '#' || !IsCanonicalComponent(rest[..queryStart], QueryPart.None) || !IsCanonicalSortedQuery(rest[(queryStart + 1)..]))
        {
            return false;
        }

        canonical = text;
        return true;
    }

    private static bool IsCanonicalAuthority(Uri url, ReadOnlySpan<char> authority)
    {
        var colon = authority.IndexOf(':');
        var host = colon < 0 ? authority : authority[..colon];
        if (host.Length == 0)
        {
            return false;
        }

        foreach (var c in host)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'))
            {
                return false;
            }
        }

        if (colon < 0)
        {
            return url.IsDefaultPort;
        }

        var port = authority[(colon + 1)..];
        return !url.IsDefaultPort && port.Length is > 0 and <= 5 && port[0] != '0'
            && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number == url.Port;
    }

    // True when AppendNormalized would write the text unchanged.
    private static bool IsCanonicalComponent(ReadOnlySpan<char> text, QueryPart part)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigitUpper(text[i + 1]) || !char.IsAsciiHexDigitUpper(text[i + 2])
                    || IsUnreserved((char)((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2]))))
                {
                    return false;
                }

                i += 2;
            }
            else if (!IsUnreserved(c) && !IsAllowedDelimiter(c, part))
            {
                return false;
            }
        }

        return true;
    }

    // True when AppendSortedQuery would write '?' and the query unchanged: no empty segments, at most one '=' per
    // segment, every part already normal, and (name, value) strictly increasing, so that no sort could reorder them.
    private static bool IsCanonicalSortedQuery(ReadOnlySpan<char> query)
    {
        if (query.Length == 0)
        {
            return false;
        }

        ReadOnlySpan<char> previousName = default;
        ReadOnlySpan<char> previousValue = default;
        var first = true;
        while (true)
        {
            var end = query.IndexOf('&');
            var segment = end < 0 ? query : query[..end];
            if (segment.Length == 0)
            {
                return false;
            }

            var equals = segment.IndexOf('=');
            var name = equals < 0 ? segment : segment[..equals];
            var value = equals < 0 ? default : segment[(equals + 1)..];
            if (!IsCanonicalComponent(name, QueryPart.Query) || !IsCanonicalComponent(value, QueryPart.Query))
            {
                return false;
            }

            if (!first)
            {
                var byName = previousName.SequenceCompareTo(name);
                if (byName > 0 || (byName == 0 && previousValue.SequenceCompareTo(value) >= 0))
                {
                    return false;
                }
            }

            first = false;
            previousName = name;
            previousValue = value;
            if (end < 0)
            {
                return true;
            }

            query = query[(end + 1)..];
        }
    }

    private static string CanonicalHost(Uri url)
    {
        // IdnHost gives IPv6 addresses without brackets (and with any zone id), which would not parse back.
        if (url.HostNameType == UriHostNameType.IPv6)
        {
            return url.Host.ToLowerInvariant();
        }

        try
        {
            return url.IdnHost.ToLowerInvariant();
        }
        catch (UriFormatException)
        {
            // A host IDNA rejects (xn--퓏.example) cannot be fetched, but a request for it still needs a stable identity.
            return url.Host.ToLowerInvariant();
        }
    }

    private static bool IsHttp(Uri url) => url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps;

    private enum QueryPart
    {
        None,
        Query,
    }

    private static void AppendSortedQuery(StringBuilder builder, string query)
    {
        var pairs = new List<(string Name, string Value, bool HasValue)>();
        var normalized = new StringBuilder(query.Length);
        var rest = query.AsSpan();
        while (true)
        {
            // Walks the '&'-separated segments in place: no string per raw segment, name or value.
            var end = rest.IndexOf('&');
            var segment = end < 0 ? rest : rest[..end];
            if (segment.Length > 0)
            {
                var equals = segment.IndexOf('=');
                normalized.Clear();
                AppendNormalized(normalized, equals < 0 ? segment : segment[..equals], QueryPart.Query);
                var canonicalName = normalized.ToString();
                normalized.Clear();
                AppendNormalized(normalized, equals < 0 ? default : segment[(equals + 1)..], QueryPart.Query);
                pairs.Add((canonicalName, normalized.ToString(), equals >= 0));
            }

            if (end < 0)
            {
                break;
            }

            rest = rest[(end + 1)..];
        }

        if (pairs.Count == 0)
        {
            return;
        }

        pairs.Sort(static (x, y) =>
        {
            var byName = string.CompareOrdinal(x.Name, y.Name);
            return byName != 0 ? byName : string.CompareOrdinal(x.Value, y.Value);
        });
        builder.Append('?');
        for (var i = 0; i < pairs.Count; i++)
        {
            if (i > 0)
            {
                builder.Append('&');
            }

            builder.Append(pairs[i].Name);
            if (pairs[i].HasValue)
            {
                builder.Append('=').Append(pairs[i].Value);
            }
        }
    }

    private static void AppendNormalized(StringBuilder builder, ReadOnlySpan<char> text, QueryPart part)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%' && i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]))
            {
                var decoded = (char)((HexValue(text[i + 1]) << 4) | HexValue(text[i + 2]));
                if (IsUnreserved(decoded))
                {
                    builder.Append(decoded);
                }
                else
                {
                    builder.Append('%').Append(char.ToUpperInvariant(text[i + 1])).Append(char.ToUpperInvariant(text[i + 2]));
                }

                i += 2;
            }
            else if (IsUnreserved(c) || IsAllowedDelimiter(c, part))
            {
                builder.Append(c);
            }
            else
            {
                // Escape everything else as UTF-8, including a stray '%' that starts no valid escape.
                var rune = i + 1 < text.Length && char.IsSurrogatePair(text[i], text[i + 1]) ? new Rune(text[i], text[++i]) : Rune.IsValid(c) ? new Rune(c) : Rune.ReplacementChar;
                var count = rune.EncodeToUtf8(utf8);
                for (var b = 0; b < count; b++)
                {
                    builder.Append('%').Append(HexDigit(utf8[b] >> 4)).Append(HexDigit(utf8[b] & 0xF));
                }
            }
        }
    }

    private static bool IsUnreserved(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

    // Sub-delimiters and the path/query characters that RFC 3986 allows unescaped. In a query
    // part '&' and '=' are structure, so they never reach here unescaped.
    private static bool IsAllowedDelimiter(char c, QueryPart part) => c switch
    {
        '!' or '$' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or ':' or '@' => true,
        '/' => true,
        '?' => part == QueryPart.Query,
        '&' or '=' => part == QueryPart.None,
        _ => false,
    };

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);
}
