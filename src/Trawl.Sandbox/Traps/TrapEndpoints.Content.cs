using System.Text;
using Microsoft.AspNetCore.Http;
using Trawl.Sandbox.Site;

namespace Trawl.Sandbox.Traps;

/// <summary>Traps whose content is not what a crawler hopes for: unusable links, and bodies that are not HTML.</summary>
internal static partial class TrapEndpoints
{
    /// <summary>
    /// The links of <c>/trap/bad-links</c>: the href exactly as written in the page (HTML-escaped, with
    /// <c>{origin}</c> and <c>{authority}</c> standing for this server's), and the path a browser would fetch, or
    /// <see langword="null"/> for a link no crawler should fetch (another scheme, malformed, or over-long).
    /// </summary>
    internal static readonly IReadOnlyList<(string Href, string? Path)> BadLinks =
    [
        ("/pages/1", "/pages/1"),
        ("../pages/2", "/pages/2"),
        ("\n   /pages/3   \t", "/pages/3"),
        ("/pa\tges/\n4", "/pages/4"),
        ("{origin}/pages/5", "/pages/5"),
        ("//{authority}/pages/6", "/pages/6"),
        ("/pages/7#section-2", "/pages/7"),
        ("HTTP://{authority}/pages/8", "/pages/8"),
        ("/pages/9?pad=" + new string('a', 4000), "/pages/9"),
        ("/pages/10?q=café&amp;r=1", "/pages/10"),
        ("&#x2F;pages&#x2F;11", "/pages/11"),
        ("/pages/x/../12", "/pages/12"),
        ("javascript:alert(1)", null),
        ("  JavaScript:void(0)", null),
        ("jav&#x09;ascript:alert(2)", null),
        ("java&#x0A;script:alert(3)", null),
        ("jAvAsCrIpT&colon;alert(4)", null),
        ("mailto:someone@example.com", null),
        ("MAILTO:someone@example.com?subject=hi", null),
        ("data:text/html,&lt;a href=/pages/20&gt;x&lt;/a&gt;", null),
        ("data:text/html;base64,PGgxPng8L2gxPg==", null),
        ("tel:+15555550100", null),
        ("ftp://{authority}/pages/21", null),
        ("file:///etc/passwd", null),
        ("about:blank", null),
        ("vbscript:msgbox(1)", null),
        ("ws://{authority}/pages/22", null),
        ("http://[::1", null),
        ("http://xn--\uD4CF.example/", null),
        ("http://exa mple.com/", null),
        ("http://:80/pages/23", null),
        ("https://", null),
        ("http://", null),
        ("/pages/24?pad=" + new string('x', 9000), null),
        ("{origin}/pages/25/" + new string('y', 100_000), null),
    ];

    /// <summary>The kinds of <c>/trap/content/{kind}</c>.</summary>
    internal static readonly IReadOnlyList<string> ContentKinds = ["json", "png", "pdf", "text", "xml", "octet-stream", "untyped-html", "untyped-binary"];

    // A 1x1 PNG, followed by markup that must never be read as HTML.
    private static readonly byte[] PngBytes = [.. Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="), .. "<html><body><h1>Not HTML</h1><a href=\"/pages/2\">x</a></body></html>"u8];

    /// <summary>
    /// <c>/trap/bad-links</c>: a page of links in every shape a crawler must survive (see <see cref="BadLinks"/>):
    /// relative ones, ones with whitespace, tabs, entities, fragments and odd case that resolve to real pages, and
    /// <c>javascript:</c>, <c>mailto:</c>, <c>data:</c>, other schemes, malformed and over-long ones that must not be
    /// fetched. Each link's class is <c>follow</c> or <c>skip</c>.
    /// </summary>
    [Trap("bad-links")]
    private static Task BadLinksPage(TrapContext trap)
    {
        var origin = trap.Origin;
        var authority = trap.Request.Host.ToUriComponent();
        var html = Html.RentBuilder();
        PooledBytes body;
        try
        {
            html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Bad links</title>\n</head>\n<body>\n<h1>Bad links</h1>\n<ul class=\"links\">\n");
            html.Append("<li><a href=\"\">empty</a></li>\n<li><a href=\"#top\">fragment only</a></li>\n");
            foreach (var (href, path) in BadLinks)
            {
                html.Append("<li><a class=\"").Append(path is null ? "skip" : "follow").Append("\" href=\"")
                    .Append(href.Replace("{origin}", origin, StringComparison.Ordinal).Replace("{authority}", authority, StringComparison.Ordinal))
                    .Append("\">link</a></li>\n");
            }

            html.Append("</ul>\n</body>\n</html>\n");
            body = Html.Encode(html, Encoding.UTF8);
        }
        finally
        {
            Html.Return(html);
        }

        return trap.WriteAsync(body, "text/html; charset=utf-8");
    }

    /// <summary>
    /// <c>/trap/content/{kind}</c>: a body that is not HTML, though it holds markup with links to <c>/pages/1</c> to
    /// <c>/pages/3</c> that an HTML parser would find. Kinds: <c>json</c> (application/json), <c>png</c> (image/png),
    /// <c>pdf</c> (application/pdf), <c>text</c> (text/plain), <c>xml</c> (application/xml), <c>octet-stream</c>,
    /// <c>untyped-binary</c> (PNG bytes, no Content-Type), and <c>untyped-html</c>: a real HTML page (heading
    /// <c>Untyped HTML</c>, one link to <c>/pages/4</c>) sent without a Content-Type.
    /// </summary>
    [Trap("content")]
    private static async Task Content(TrapContext trap)
    {
        const string Markup = "<!DOCTYPE html><html><head><title>Not HTML</title></head><body><h1>Not HTML</h1><a href=\"/pages/1\">1</a></body></html>";
        (string? Type, byte[] Body)? content = trap.Argument switch
        {
            "json" => ("application/json; charset=utf-8", Encoding.UTF8.GetBytes($"{{\"title\":\"Not HTML\",\"html\":\"{Markup.Replace("\"", "'", StringComparison.Ordinal)}\"}}")),
            "png" => ("image/png", PngBytes),
            "pdf" => ("application/pdf", Encoding.ASCII.GetBytes($"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {Markup}\n% <a href=\"/pages/3\">3</a>\ntrailer << /Root 1 0 R >>\n%%EOF\n")),
            "text" => ("text/plain; charset=utf-8", Encoding.UTF8.GetBytes(Markup)),
            "xml" => ("application/xml", Encoding.UTF8.GetBytes($"<?xml version=\"1.0\"?>\n<feed><entry><a href=\"/pages/2\">2</a><h1>Not HTML</h1></entry></feed>\n")),
            "octet-stream" => ("application/octet-stream", Encoding.UTF8.GetBytes(Markup)),
            "untyped-binary" => (null, PngBytes),
            "untyped-html" => (null, "<!DOCTYPE html>\n<html>\n<head>\n<title>Untyped</title>\n</head>\n<body>\n<h1>Untyped HTML</h1>\n<a href=\"/pages/4\">4</a>\n</body>\n</html>\n"u8.ToArray()),
            _ => null,
        };

        if (content is not { } found)
        {
            await trap.WritePageAsync(StatusCodes.Status404NotFound, "No such content kind").ConfigureAwait(false);
            return;
        }

        if (found.Type is not null)
        {
            trap.Response.ContentType = found.Type;
        }

        trap.Response.ContentLength = found.Body.Length;
        await trap.Response.Body.WriteAsync(found.Body, trap.Aborted).ConfigureAwait(false);
    }
}
