using System.Text;

namespace Trawl.Http;

/// <summary>Reads the Content-Type header and sniffs HTML bodies that come without one.</summary>
internal static class ContentTypes
{
    // The WHATWG MIME sniffing patterns for text/html, each followed by a space or '>' (here also other whitespace or '/').
    private static readonly byte[][] HtmlPatterns =
    [
        "<!doctype html"u8.ToArray(), "<html"u8.ToArray(), "<head"u8.ToArray(), "<script"u8.ToArray(),
        "<iframe"u8.ToArray(), "<h1"u8.ToArray(), "<div"u8.ToArray(), "<font"u8.ToArray(), "<table"u8.ToArray(),
        "<a"u8.ToArray(), "<style"u8.ToArray(), "<title"u8.ToArray(), "<b"u8.ToArray(), "<body"u8.ToArray(),
        "<br"u8.ToArray(), "<p"u8.ToArray(), "<!--"u8.ToArray(),
    ];

    /// <summary>Splits a Content-Type value into its lower-cased media type (empty when malformed) and its charset parameter.</summary>
    public static (string MediaType, string? Charset) Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return (string.Empty, null);
        }

        var span = value.AsSpan();
        var semicolon = span.IndexOf(';');
        var type = (semicolon < 0 ? span : span[..semicolon]).Trim();
        var slash = type.IndexOf('/');
        var mediaType = slash > 0 && slash < type.Length - 1 && type.IndexOfAny(" \t\"") < 0
            ? type.ToString().ToLowerInvariant()
            : string.Empty;

        string? charset = null;
        while (semicolon >= 0 && charset is null)
        {
            span = span[(semicolon + 1)..];
            semicolon = span.IndexOf(';');
            var parameter = (semicolon < 0 ? span : span[..semicolon]).Trim();
            var equals = parameter.IndexOf('=');
            if (equals > 0 && parameter[..equals].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                var charsetValue = parameter[(equals + 1)..].Trim().Trim('"').Trim('\'').Trim();
                charset = charsetValue.IsEmpty ? null : charsetValue.ToString();
            }
        }

        return (mediaType, charset);
    }

    /// <summary>Whether a media type is one the HTML parser should read.</summary>
    public static bool IsHtmlMediaType(string mediaType) =>
        mediaType is "text/html" or "application/xhtml+xml";

    /// <summary>Whether a body without a Content-Type looks like HTML: after a BOM and whitespace, a known HTML start tag or a comment.</summary>
    public static bool LooksLikeHtml(ReadOnlySpan<byte> body)
    {
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }

        var start = 0;
        while (start < body.Length && body[start] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f')
        {
            start++;
        }

        body = body[start..];
        foreach (var pattern in HtmlPatterns)
        {
            if (body.Length > pattern.Length
                && Ascii.EqualsIgnoreCase(body[..pattern.Length], pattern)
                && body[pattern.Length] is (byte)' ' or (byte)'>' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f' or (byte)'/')
            {
                return true;
            }
        }

        return false;
    }
}
