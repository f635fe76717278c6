namespace Trawl.Http;

/// <summary>
/// Turns an href found in a page into an absolute http(s) URL, or rejects it. Never throws.
/// </summary>
internal static class LinkResolver
{
    /// <summary>How an href refers to its target.</summary>
    public enum HrefKind
    {
        /// <summary>Not usable: another scheme (javascript:, mailto:, data:, tel:, ftp: …), or too long.</summary>
        Unusable,

        /// <summary>An absolute http(s) URL: no base URL needed.</summary>
        Absolute,

        /// <summary>Relative to the document's base URL (including scheme-relative <c>//host/path</c>).</summary>
        Relative,
    }

    /// <summary>
    /// Cleans an href as the HTML URL parser does: strips leading and trailing C0 controls and spaces, and removes
    /// tabs and newlines inside. Then classifies it.
    /// </summary>
    public static HrefKind Classify(string href, out string cleaned)
    {
        var span = href.AsSpan();
        var start = 0;
        var end = span.Length;
        while (start < end && span[start] <= ' ')
        {
            start++;
        }

        while (end > start && span[end - 1] <= ' ')
        {
            end--;
        }

        span = span[start..end];
        if (span.Length > Response.MaxUrlLength)
        {
            cleaned = string.Empty;
            return HrefKind.Unusable;
        }

        cleaned = span.IndexOfAny('\t', '\n', '\r') < 0
            ? (span.Length == href.Length ? href : span.ToString())
            : RemoveTabsAndNewlines(span);

        // A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':' before any '/', '?' or '#'.
        var colon = -1;
        for (var i = 0; i < cleaned.Length; i++)
        {
            var c = cleaned[i];
            if (c == ':')
            {
                colon = i;
                break;
            }

            if (!(char.IsAsciiLetter(c) || (i > 0 && (char.IsAsciiDigit(c) || c is '+' or '-' or '.'))))
            {
                break;
            }
        }

        if (colon <= 0)
        {
            return HrefKind.Relative;
        }

        var scheme = cleaned.AsSpan(0, colon);
        if (!scheme.Equals("http", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
        {
            return HrefKind.Unusable;
        }

        // "http:page.html" (no slashes) is relative to a base of the same scheme, as in browsers.
        var afterScheme = cleaned.AsSpan(colon + 1);
        return afterScheme.Length >= 2 && afterScheme[0] is '/' or '\\' && afterScheme[1] is '/' or '\\'
            ? HrefKind.Absolute
            : HrefKind.Relative;
    }

    /// <summary>Resolves a cleaned href; <see langword="null"/> unless the result is a usable absolute http(s) URL.</summary>
    /// <param name="cleaned">The href from <see cref="Classify"/>.</param>
    /// <param name="baseUrl">The base URL; may be <see langword="null"/> for an <see cref="HrefKind.Absolute"/> href.</param>
    public static Uri? Resolve(string cleaned, Uri? baseUrl)
    {
        try
        {
            Uri? result;
            if (baseUrl is null)
            {
                if (!Uri.TryCreate(cleaned, UriKind.Absolute, out result))
                {
                    return null;
                }
            }
            else if (!Uri.TryCreate(baseUrl, cleaned, out result))
            {
                return null;
            }

            return IsUsable(result) ? result : null;
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or InvalidOperationException or FormatException)
        {
            // System.Uri has thrown from TryCreate and from its getters on pathological hosts; a bad link is just a bad link.
            return null;
        }
    }

    /// <summary>Returns the URL without its fragment (also an empty one, <c>…#</c>).</summary>
    public static Uri WithoutFragment(Uri url)
    {
        try
        {
            if (url.Fragment.Length == 0)
            {
                return url;
            }

            var withoutFragment = url.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.Fragment, UriFormat.UriEscaped);
            return Uri.TryCreate(withoutFragment, UriKind.Absolute, out var result) ? result : url;
        }
        catch (Exception ex) when (ex is UriFormatException or InvalidOperationException)
        {
            return url;
        }
    }

    /// <summary>
    /// Whether a URL's host can be put on the wire: it is not empty and IDNA accepts it. System.Uri parses hosts such as
    /// <c>xn--퓏.example</c> that it then cannot encode (<see cref="Uri.IdnHost"/> throws), and no HTTP client can fetch them.
    /// </summary>
    public static bool HasFetchableHost(Uri url)
    {
        try
        {
            return url.IdnHost.Length > 0;
        }
        catch (UriFormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether text holds a UTF-16 surrogate without its pair. Stored as JSON and sent as UTF-8, it would silently turn
    /// into U+FFFD: another URL, with another fingerprint.
    /// </summary>
    public static bool HasLoneSurrogate(string text)
    {
        var i = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return false;
        }

        for (; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    // Exactly the URLs a Request accepts, and no longer than a server takes.
    private static bool IsUsable(Uri url) =>
        url.IsAbsoluteUri
        && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
        && HasFetchableHost(url)
        && url.AbsoluteUri.Length <= Response.MaxUrlLength
        && !HasLoneSurrogate(url.AbsoluteUri);

    private static string RemoveTabsAndNewlines(ReadOnlySpan<char> span)
    {
        var buffer = span.Length <= 512 ? stackalloc char[span.Length] : new char[span.Length];
        var length = 0;
        foreach (var c in span)
        {
            if (c is not ('\t' or '\n' or '\r'))
            {
                buffer[length++] = c;
            }
        }

        return new string(buffer[..length]);
    }

    /// <summary>A 64-bit FNV-1a hash of a URL's characters: cheap to keep for telling a page's links apart.</summary>
    public static ulong Hash64(string url)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in url)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
