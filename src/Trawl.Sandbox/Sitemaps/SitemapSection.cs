using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Trawl.Sandbox.Sitemaps;

/// <summary>
/// The sitemap section under <c>/sitemaps/</c>: a robots.txt listing an index of a gzipped urlset served mislabelled and
/// a plain urlset, the pages they list, and trap sitemaps (see <see cref="SandboxServer"/>).
/// </summary>
internal sealed class SitemapSection(int pages)
{
    /// <summary>Every listed page's <c>lastmod</c> unless touched.</summary>
    public static readonly DateTimeOffset BaseLastmod = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How many entries the oversize trap lists: ten past the protocol's 50,000.</summary>
    public const int OversizeEntries = 50_010;

    private const string Xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9";

    // 64 MiB of whitespace inside a urlset inflates past the protocol's 50 MB; built once, on first request.
    private static readonly Lazy<byte[]> Bomb = new(BuildBomb);

    private readonly ConcurrentDictionary<int, DateTimeOffset> _touched = new();

    /// <summary>How many pages the sitemaps list: <c>/sitemaps/page/1</c> to <c>/sitemaps/page/{pages}</c>.</summary>
    public int Pages { get; } = pages;

    /// <summary>Gives a listed page a newer <c>lastmod</c>, as a site does when the page changes.</summary>
    public void Touch(int page, DateTimeOffset lastmod) => _touched[page] = lastmod;

    /// <summary>The paths of the pages the sitemaps list, each once.</summary>
    public static IReadOnlyList<string> ListedPaths(int pages) => [.. Enumerable.Range(1, pages).Select(PagePath)];

    /// <summary>Answers a request under <c>/sitemaps/</c>, or returns <see langword="null"/> for an unknown path.</summary>
    public Task? TryHandle(HttpContext context, string path, string origin)
    {
        var rest = path["/sitemaps/".Length..];
        switch (rest)
        {
            case "robots.txt":
                return Write(context, "text/plain; charset=utf-8", $"User-agent: *\nAllow: /\n\n# The sitemap index\nSitemap: {origin}/sitemaps/index.xml\n");
            case "index.xml":
                return Write(context, "application/xml", Index(origin));
            case "pages-a.xml.gz":
                // Mislabelled as real servers do: gzip bytes, no Content-Encoding, a generic type.
                return Write(context, "application/octet-stream", Gzip(Urlset(origin, Enumerable.Range(1, Pages).Where(i => i % 2 == 1))));
            case "pages-b.xml":
                // Page 1 is in both sitemaps: the crawl fetches it once.
                return Write(context, "text/xml; charset=utf-8", Urlset(origin, Enumerable.Range(1, Pages).Where(i => i % 2 == 0).Prepend(1)));
            case "trap/bomb.xml.gz":
                return Write(context, "text/plain", Bomb.Value);
            case "trap/entities.xml":
                return Write(context, "application/xml", BillionLaughs(origin));
            case "trap/oversize.xml":
                return Write(context, "application/xml", Oversize(origin));
            case "trap/cross-host.xml":
                return Write(context, "application/xml", CrossHost(context, origin));
            case "trap/malformed.xml":
                return Write(context, "application/xml", $"<?xml version=\"1.0\"?>\n<urlset xmlns=\"{Xmlns}\"><url><loc>{origin}/sitemaps/page/1</loc></url><url><loc>");
        }

        if (rest.StartsWith("page/", StringComparison.Ordinal) && int.TryParse(rest["page/".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= Pages)
        {
            return Write(context, "text/html; charset=utf-8", Page(n, $"/sitemaps/unlisted/{n}"));
        }

        if (rest.StartsWith("unlisted/", StringComparison.Ordinal) && int.TryParse(rest["unlisted/".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var u) && u >= 1)
        {
            return Write(context, "text/html; charset=utf-8", Page(u, null));
        }

        return null;
    }

    private static string PagePath(int page) => $"/sitemaps/page/{page}";

    private string Lastmod(int page) => (_touched.TryGetValue(page, out var touched) ? touched : BaseLastmod).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture).Replace("+00:00", "Z", StringComparison.Ordinal);

    private static string Index(string origin) =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"{Xmlns}\">\n"
        + $"  <sitemap><loc>{origin}/sitemaps/pages-a.xml.gz</loc></sitemap>\n"
        + $"  <sitemap><loc>{origin}/sitemaps/pages-b.xml</loc></sitemap>\n"
        + "</sitemapindex>\n";

    private string Urlset(string origin, IEnumerable<int> pages)
    {
        var text = new StringBuilder($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"{Xmlns}\">\n");
        foreach (var page in pages)
        {
            text.Append(CultureInfo.InvariantCulture, $"  <url><loc>{origin}{PagePath(page)}</loc><lastmod>{Lastmod(page)}</lastmod></url>\n");
        }

        return text.Append("</urlset>\n").ToString();
    }

    private static string Oversize(string origin)
    {
        var text = new StringBuilder($"<?xml version=\"1.0\"?>\n<urlset xmlns=\"{Xmlns}\">\n");
        for (var i = 1; i <= OversizeEntries; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"<url><loc>{origin}/sitemaps/oversize/{i}</loc></url>\n");
        }

        return text.Append("</urlset>\n").ToString();
    }

    // Entries on another host (localhost for 127.0.0.1, a name that never resolves) beside one on the sitemap's own.
    private static string CrossHost(HttpContext context, string origin)
    {
        var port = context.Connection.LocalPort;
        return $"<?xml version=\"1.0\"?>\n<urlset xmlns=\"{Xmlns}\">\n"
            + $"<url><loc>http://localhost:{port}/sitemaps/page/1</loc></url>\n"
            + "<url><loc>http://elsewhere.invalid/sitemaps/page/1</loc></url>\n"
            + $"<url><loc>{origin}/sitemaps/page/2</loc></url>\n"
            + "</urlset>\n";
    }

    private static string BillionLaughs(string origin)
    {
        var text = new StringBuilder("<?xml version=\"1.0\"?>\n<!DOCTYPE urlset [\n<!ENTITY lol \"lol\">\n");
        for (var i = 1; i <= 9; i++)
        {
            var previous = i == 1 ? "lol" : $"lol{i - 1}";
            text.Append(CultureInfo.InvariantCulture, $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&{previous};", 10))}\">\n");
        }

        return text.Append(CultureInfo.InvariantCulture, $"]>\n<urlset xmlns=\"{Xmlns}\"><url><loc>{origin}/sitemaps/page/1?&lol9;</loc></url></urlset>\n").ToString();
    }

    private static string Page(int n, string? link) =>
        $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Sitemap page {n}</title>\n</head>\n<body>\n<h1>Sitemap page {n}</h1>\n"
        + (link is null ? string.Empty : $"<p><a href=\"{link}\">A page no sitemap lists</a></p>\n")
        + "</body>\n</html>\n";

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return buffer.ToArray();
    }

    private static byte[] BuildBomb()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.SmallestSize))
        {
            gzip.Write(Encoding.UTF8.GetBytes($"<?xml version=\"1.0\"?>\n<urlset xmlns=\"{Xmlns}\">\n"));
            var spaces = new byte[1 << 20];
            spaces.AsSpan().Fill((byte)' ');
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(spaces);
            }

            gzip.Write("</urlset>\n"u8);
        }

        return buffer.ToArray();
    }

    private static Task Write(HttpContext context, string contentType, string body) => Write(context, contentType, Encoding.UTF8.GetBytes(body));

    private static Task Write(HttpContext context, string contentType, byte[] body)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
