using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Xml;
using Trawl.Http;

namespace Trawl.Sitemaps;

/// <summary>One <c>loc</c> of a sitemap: a page (from a <c>urlset</c>) or another sitemap (from a <c>sitemapindex</c> or a robots.txt).</summary>
/// <param name="Url">The entry's absolute URL.</param>
/// <param name="LastModified">Its <c>lastmod</c>, when it has one that parses as a W3C date-time.</param>
/// <param name="IsSitemap">Whether the entry is a sitemap rather than a page.</param>
internal readonly record struct SitemapEntry(Uri Url, DateTimeOffset? LastModified, bool IsSitemap);

/// <summary>What reading a sitemap left out: counted as the entries go by, read once the reading is done.</summary>
internal sealed class SitemapReadCounts
{
    /// <summary>Entries past <see cref="SitemapParser.MaxEntries"/>: read and counted, not returned.</summary>
    public int Truncated { get; set; }

    /// <summary>Entries whose <c>loc</c> is not an absolute http or https URL that can be fetched.</summary>
    public int Invalid { get; set; }
}

/// <summary>
/// Reads a sitemap as a stream: a <c>urlset</c>, a <c>sitemapindex</c> or a robots.txt's <c>Sitemap:</c> lines, gzipped
/// or not (told by the bytes 1f 8b, never by the name or the Content-Type). The XML is read with DTDs prohibited and no
/// resolver, so an entity can never expand; what is read after decompression is counted and stops at
/// <see cref="MaxBytes"/>, so a gzip bomb costs no memory; at most <see cref="MaxEntries"/> entries are returned.
/// </summary>
internal static class SitemapParser
{
    /// <summary>The protocol's limit on a sitemap's size, uncompressed: 50 MB (52,428,800 bytes).</summary>
    public const long MaxBytes = 52_428_800;

    /// <summary>The protocol's limit on a sitemap's entries.</summary>
    public const int MaxEntries = 50_000;

    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
        MaxCharactersFromEntities = 0,
    };

    /// <summary>
    /// The entries of the sitemap at <paramref name="url"/>, lazily: a failure comes while enumerating, after the entries
    /// before it. A body that is neither gzip nor starts with <c>&lt;</c> is text: a robots.txt, whose <c>Sitemap:</c>
    /// lines name sitemaps, or a text sitemap, whose lines that are http or https URLs name pages.
    /// </summary>
    /// <exception cref="SitemapException">The sitemap is over <see cref="MaxBytes"/> uncompressed (<c>sitemap_too_large</c>),
    /// or is not a sitemap: malformed XML or gzip, a DTD, another root element (<c>sitemap_malformed</c>).</exception>
    public static IEnumerable<SitemapEntry> Read(ReadOnlyMemory<byte> body, Uri url, SitemapReadCounts counts)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(counts);
        var entries = IsText(body.Span) ? ReadText(body) : ReadXml(body);
        var returned = 0;
        using var enumerator = Guard(entries).GetEnumerator();
        while (enumerator.MoveNext())
        {
            var (loc, lastmod, isSitemap) = enumerator.Current;
            if (!TryUrl(loc, url, out var absolute))
            {
                counts.Invalid++;
                continue;
            }

            if (returned == MaxEntries)
            {
                counts.Truncated++;
                continue;
            }

            returned++;
            yield return new SitemapEntry(absolute, ParseLastmod(lastmod), isSitemap);
        }
    }

    /// <summary>Whether the body starts with gzip's magic bytes.</summary>
    public static bool IsGzip(ReadOnlySpan<byte> body) => body.Length >= 2 && body[0] == 0x1f && body[1] == 0x8b;

    /// <summary>Parses a W3C date-time (<c>2024-05-01</c>, <c>2024-05-01T10:00:00+02:00</c>); a date without a zone is UTC.</summary>
    public static DateTimeOffset? ParseLastmod(string? text) =>
        DateTimeOffset.TryParse(text?.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var value)
            ? value.ToUniversalTime()
            : null;

    // Turns what the decompressor and the XML reader throw into the sitemap's own failure kinds.
    private static IEnumerable<(string Loc, string? Lastmod, bool IsSitemap)> Guard(IEnumerable<(string, string?, bool)> entries)
    {
        using var enumerator = entries.GetEnumerator();
        while (true)
        {
            try
            {
                if (!enumerator.MoveNext())
                {
                    yield break;
                }
            }
            catch (XmlException ex)
            {
                throw new SitemapException(SitemapException.Malformed, "Not a valid sitemap: " + ex.Message, ex);
            }
            catch (InvalidDataException ex)
            {
                throw new SitemapException(SitemapException.Malformed, "Not a valid gzipped sitemap: " + ex.Message, ex);
            }

            yield return enumerator.Current;
        }
    }

    private static Stream Open(ReadOnlyMemory<byte> body)
    {
        Stream stream = MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
        if (IsGzip(body.Span))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        return new SizeLimitedStream(stream, MaxBytes);
    }

    private static IEnumerable<(string, string?, bool)> ReadXml(ReadOnlyMemory<byte> body)
    {
        using var reader = XmlReader.Create(Open(body), Settings);
        reader.MoveToContent();
        var isIndex = reader.LocalName switch
        {
            "urlset" => false,
            "sitemapindex" => true,
            _ => throw new SitemapException(SitemapException.Malformed, $"Not a sitemap: its root element is <{reader.LocalName}>, not <urlset> or <sitemapindex>."),
        };
        var item = isIndex ? "sitemap" : "url";
        string? loc = null;
        string? lastmod = null;
        reader.Read();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == 2 && reader.LocalName is "loc" or "lastmod")
            {
                var name = reader.LocalName;
                var text = reader.ReadElementContentAsString();
                if (name == "loc")
                {
                    loc = text;
                }
                else
                {
                    lastmod = text;
                }

                continue;
            }

            if (reader.Depth == 1 && reader.LocalName == item
                && (reader.NodeType == XmlNodeType.EndElement || (reader.NodeType == XmlNodeType.Element && reader.IsEmptyElement)))
            {
                if (loc is not null)
                {
                    yield return (loc, lastmod, isIndex);
                }

                loc = null;
                lastmod = null;
            }

            reader.Read();
        }
    }

    // Not gzip, and the first byte past a byte-order mark and whitespace is not '<'.
    private static bool IsText(ReadOnlySpan<byte> body)
    {
        if (IsGzip(body))
        {
            return false;
        }

        if (body.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        var start = body.IndexOfAnyExcept(" \t\r\n"u8);
        return start < 0 || body[start] != (byte)'<';
    }

    private static IEnumerable<(string, string?, bool)> ReadText(ReadOnlyMemory<byte> body)
    {
        using var text = new StreamReader(Open(body), System.Text.Encoding.UTF8);
        while (text.ReadLine() is { } line)
        {
            var trimmed = line.AsSpan().Trim();
            if (trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                yield return (trimmed.ToString(), null, false);
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals("sitemap", StringComparison.OrdinalIgnoreCase))
            {
                var value = line[(colon + 1)..];
                var hash = value.IndexOf('#', StringComparison.Ordinal);
                value = (hash >= 0 ? value[..hash] : value).Trim();
                if (value.Length > 0)
                {
                    yield return (value, null, true);
                }
            }
        }
    }

    private static bool TryUrl(string loc, Uri sitemap, out Uri url)
    {
        url = null!;
        var text = loc.Trim();
        if (text.Length == 0 || text.Length > Response.MaxUrlLength || !Uri.TryCreate(sitemap, text, out var absolute)
            || (absolute.Scheme != Uri.UriSchemeHttp && absolute.Scheme != Uri.UriSchemeHttps)
            || !LinkResolver.HasFetchableHost(absolute) || LinkResolver.HasLoneSurrogate(absolute.AbsoluteUri))
        {
            return false;
        }

        url = absolute;
        return true;
    }
}
