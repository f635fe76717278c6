namespace Trawl.Logging;

/// <summary>Makes URLs safe to log: user info (passwords) and query strings are removed.</summary>
public static class LogUrl
{
    /// <summary>Returns the URL without user info and with the query replaced by <c>?…</c>.</summary>
    public static string Redact(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            return url.OriginalString;
        }

        var withoutQuery = url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        return url.Query.Length > 1 ? withoutQuery + "?…" : withoutQuery;
    }
}
