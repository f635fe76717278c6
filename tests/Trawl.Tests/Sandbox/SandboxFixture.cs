using System.Net;
using System.Text.RegularExpressions;
using Trawl.Sandbox;

namespace Trawl.Tests.Sandbox;

/// <summary>A sandbox server on a free loopback port, shared by the tests of one class.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public SandboxOptions Options { get; } = TestOptions();

    public SandboxServer Server { get; private set; } = null!;

    /// <summary>A client that does not follow redirects or decompress, so tests see exactly what was sent.</summary>
    public HttpClient Client { get; } = NewClient(followRedirects: false);

    public static SandboxOptions TestOptions() => new()
    {
        Pages = 200,
        LinksPerPage = 10,
        PageSize = 2048,
        QuotePages = 5,
        QuotesPerPage = 10,
        Seed = 42,
        RobotsTxt = "User-agent: *\nDisallow: /trap/\n",
    };

    public static HttpClient NewClient(bool followRedirects, int maxRedirects = 50) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = followRedirects,
            MaxAutomaticRedirections = maxRedirects,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };

    public Uri Url(string pathAndQuery) => new(Server.BaseUrl, pathAndQuery);

    public Task<string> GetStringAsync(string pathAndQuery) => Client.GetStringAsync(Url(pathAndQuery));

    public Task<byte[]> GetBytesAsync(string pathAndQuery) => Client.GetByteArrayAsync(Url(pathAndQuery));

    public async Task InitializeAsync() => Server = await SandboxServer.StartAsync(Options, CancellationToken.None);

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Just enough HTML scanning for the sandbox's own, regular markup.</summary>
internal static partial class HtmlScan
{
    /// <summary>The raw (undecoded) href values of every <c>a</c> element, in order.</summary>
    public static IReadOnlyList<string> Hrefs(string html) => [.. AnchorHref().Matches(html).Select(m => m.Groups[1].Value)];

    /// <summary>The part of a synthetic page between <c>&lt;ul class="links"&gt;</c> and its <c>&lt;/ul&gt;</c>.</summary>
    public static string LinkList(string html)
    {
        var start = html.IndexOf("<ul class=\"links\">", StringComparison.Ordinal);
        start.ShouldBeGreaterThanOrEqualTo(0);
        var end = html.IndexOf("</ul>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    /// <summary>Resolves an href as a browser would, decoding entities and dropping the fragment.</summary>
    public static Uri Resolve(Uri page, string rawHref)
    {
        var url = new Uri(page, WebUtility.HtmlDecode(rawHref));
        return new UriBuilder(url) { Fragment = string.Empty }.Uri;
    }

    [GeneratedRegex("<a\\s[^>]*href=\"([^\"]*)\"")]
    private static partial Regex AnchorHref();
}
