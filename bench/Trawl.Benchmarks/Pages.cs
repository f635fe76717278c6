using System.Text;
using Trawl.Http;

namespace Trawl.Benchmarks;

/// <summary>Realistic pages for the benchmarks: the sandbox site's own markup, at three sizes.</summary>
internal static class Pages
{
    public static readonly Uri Base = new("http://127.0.0.1:8080/");

    // Built on first use only, so the benchmarks that never read it do not pay for it.
    private static readonly Lazy<byte[]> HugePage = new(() => Build(linkCount: 20_000, targetBytes: 10 * 1024 * 1024));

    /// <summary>A 4 KB page with 10 links, like the crawl benchmark's pages.</summary>
    public static byte[] Small { get; } = Build(linkCount: 10, targetBytes: 4 * 1024);

    /// <summary>A 200 KB page with 2,000 links.</summary>
    public static byte[] Large { get; } = Build(linkCount: 2000, targetBytes: 200 * 1024);

    /// <summary>A 10 MB page with 20,000 links, like the biggest pages of a documentation site.</summary>
    public static byte[] Huge => HugePage.Value;

    public static Response ResponseFor(byte[] body) =>
        new(new Request(new Uri(Base, "/pages/42")), new Uri(Base, "/pages/42"), 200,
            new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = ["text/html; charset=utf-8"] },
            body);

    private static byte[] Build(int linkCount, int targetBytes)
    {
        var html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>Page 42</title></head><body>");
        html.Append("<h1>Page 42</h1><nav><ul>");
        for (var i = 0; i < linkCount; i++)
        {
            var href = (i % 4) switch
            {
                0 => $"/pages/{i * 7 % 50000}",
                1 => $"../pages/{i * 13 % 50000}#top",
                2 => $"http://127.0.0.1:8080/pages/{i * 17 % 50000}",
                _ => $"/pages/{i * 19 % 50000}?ref=nav&amp;b=2",
            };
            html.Append("<li><a class=\"link\" href=\"").Append(href).Append("\">Link ").Append(i).Append("</a></li>");
        }

        html.Append("</ul></nav><div class=\"quote\"><span class=\"text\">“A quote.”</span><small class=\"author\">Someone</small></div>");
        html.Append("<p class=\"content\">");
        while (html.Length < targetBytes - 40)
        {
            html.Append("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ");
        }

        html.Append("</p></body></html>");
        return Encoding.UTF8.GetBytes(html.ToString());
    }
}
