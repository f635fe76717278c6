namespace Trawl.Logging;

/// <summary>Makes URLs safe to log: no user name or password, no query string, no fragment.</summary>
internal static class UrlRedaction
{
    /// <summary>
    /// Returns scheme, host, port and path of <paramref name="url"/>, leaving out user info, query and fragment,
    /// which may carry passwords, tokens or session ids.
    /// </summary>
    public static string UrlForLog(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri)
        {
            // A relative reference has no user info; cut at the query or fragment by hand.
            var text = url.OriginalString;
            var end = text.AsSpan().IndexOfAny('?', '#');
            return end < 0 ? text : text[..end];
        }

        return url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
    }
}
