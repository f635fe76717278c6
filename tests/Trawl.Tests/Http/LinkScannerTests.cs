using System.Text;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Http;

/// <summary>
/// The fast path of the default link query (<c>a[href]</c>), which tokenizes instead of parsing, must find exactly the
/// links the parsed document gives, in the same order, with the same base URL; and where it cannot be sure it must
/// hand the page to the parser.
/// </summary>
public sealed class LinkScannerTests
{
    [Theory]
    [InlineData("<a href=/a>1</a><a href='/b'>2</a><a href=\"/c\">3</a>")]
    [InlineData("<A HREF=/upper>x</A><a hReF=/mixed>y</a>")]
    [InlineData("<a href=/first href=/second>x</a>")]
    [InlineData("<a href>empty</a><a href=>empty too</a><a href = ' /spaced ' >z</a>")]
    [InlineData("<a name=x>no href</a><abbr href=/not-a>t</abbr><area href=/area><link href=/link>")]
    [InlineData("<a/href=/slash>x</a><a href=/self-closing/>y</a><a\nhref=\n/newline\n>z</a>")]
    [InlineData("<a =href=/eq href=/real>x</a><a x=\"a>b\" href=/after-gt>y</a>")]
    [InlineData("<a href=/q?a=1&b=2&amp;c=3&not=4&copy=5>x</a>")]
    [InlineData("<a href='/amp&amp;x'>x</a><a href='/lone&'>y</a><a href='/lone & space'>z</a>")]
    [InlineData("<a href='&#x2F;pages&#47;1&lt;&gt;&quot;&apos;'>x</a>")]
    [InlineData("<a href='/tab&#9;x'>x</a><a href='/c1&#128;'>y</a><a href='/named&colon;'>w</a><a href='/n&nbsp;b&NotEqualTilde;'>v</a>")]
    [InlineData("<!-- <a href=/commented> --><a href=/after-comment>x</a><!--><a href=/after-empty>y</a><!---><a href=/after-dash>z</a>")]
    [InlineData("<!-- a --!><a href=/bang-close>x</a><!-- unterminated <a href=/never>")]
    [InlineData("<!doctype html><?xml version='1.0'?><a href=/after-pi>x</a><![CDATA[<a href=/cdata>]]><a href=/after-cdata>y</a>")]
    [InlineData("</a href='>'><a href=/after-end-tag>x</a></ a href=/bogus-end><a href=/after-bogus>y</a></><a href=/z>z</a>")]
    [InlineData("<script>var s = '<a href=\"/in-script\">';</script><a href=/after-script>x</a>")]
    [InlineData("<script>document.write('</scripty><a href=/still-script>')</script><a href=/out>x</a>")]
    [InlineData("<style>a[href='<a href=/in-style>']{}</style><title><a href=/in-title></title><textarea><a href=/in-textarea></textarea><a href=/out>x</a>")]
    [InlineData("<xmp><a href=/in-xmp></xmp><iframe><a href=/in-iframe></iframe><noembed><a href=/in-noembed></noembed><noframes><a href=/in-noframes></noframes><a href=/out>x</a>")]
    [InlineData("<noscript><a href=/in-noscript>x</a></noscript><a href=/out>y</a>")]
    [InlineData("<head><noscript><a href=/head-noscript>x</a></noscript></head><body><a href=/body>y</a>")]
    [InlineData("<script>never closed <a href=/swallowed>")]
    [InlineData("<a href=/truncated")]
    [InlineData("<a href='/unterminated-quote>x</a><a href=/next>y</a>")]
    [InlineData("<p><a href=/x>one<p>two</a><a href=/y>three</a>")]
    [InlineData("<a href=/outer><div><a href=/inner>x</a></div></a>")]
    [InlineData("<html><head><base href='/base/'></head><body><a href=rel>x</a><base href=/second/><a href=rel2>y</a>")]
    [InlineData("<base target=_blank><base href='https://other.example/dir/'><a href=rel>x</a>")]
    [InlineData("<base href='javascript:alert(1)'><a href=rel>x</a>")]
    [InlineData("<a href='#frag'>self</a><a href='javascript:void(0)'>js</a><a href='mailto:a@b.c'>mail</a><a href=' /trimmed '>t</a>")]
    [InlineData("<a href='/tab\there'>x</a><a href='/cr\r\nlf'>y</a>")]
    [InlineData("text < not a tag <3 <a href=/after-lt>x</a> a<b <a href=/last>y</a>")]
    [InlineData("<scriptx><a href=/not-raw>x</a></scriptx><ıframe><a href=/dotless>y</a>")]
    public void FastPath_FindsWhatTheParserFinds(string html)
    {
        var (fast, dom, usedFastPath) = BothWays(() => TestResponses.Html(html, "https://site.example/dir/page"));

        usedFastPath.ShouldBeTrue();
        fast.Links.ShouldBe(dom.Links);
        fast.BaseUrl.ShouldBe(dom.BaseUrl);
    }

    [Theory]
    [InlineData("<table><tr><td><a href=/in-cell>x</a></td></tr><a href=/fostered>y</a></table>")]
    [InlineData("<select><a href=/dropped>x</a></select><a href=/after>y</a>")]
    [InlineData("<template><a href=/in-template>x</a></template><a href=/after>y</a>")]
    [InlineData("<svg><a href=/svg-a>x</a></svg><math><a href=/math-a>y</a></math>")]
    [InlineData("<frameset><a href=/in-frameset></frameset>")]
    [InlineData("<plaintext><a href=/plain>")]
    [InlineData("<script><!--<script></script><a href=/escaped></script>--></script><a href=/after>y</a>")]
    [InlineData("<a href='/copy&copy/x'>x</a>")]
    [InlineData("<a href='/tab&#9;x'>x</a><a href='&#128;'>y</a><a href='&#65'>z</a><a href='/named&colon;'>w</a>")]
    [InlineData("<a href='/no-semicolon&amp'>x</a>")]
    [InlineData("<a href='/nul\0char'>x</a>")]
    public void UnmodelledPages_GoToTheParser_AndGiveTheSameLinks(string html)
    {
        var (fast, dom, usedFastPath) = BothWays(() => TestResponses.Html(html, "https://site.example/dir/page"));

        usedFastPath.ShouldBeFalse();
        fast.Links.ShouldBe(dom.Links);
        fast.BaseUrl.ShouldBe(dom.BaseUrl);
    }

    [Fact]
    public void APageAlreadyParsed_IsNotScannedAgain()
    {
        var response = TestResponses.Html("<h1>t</h1><a href=/a>a</a>");
        response.Css("h1::text").Get().ShouldBe("t");

        response.Links().ShouldBe([new Uri("https://quotes.example/a")]);
        response.ParseCount.ShouldBe(1);
    }

    [Fact]
    public void OtherQueries_UseTheParser()
    {
        var response = TestResponses.Html("<a class=n href=/a>a</a><a href=/b>b</a>");

        response.Links("a.n").ShouldBe([new Uri("https://quotes.example/a")]);
        response.ParseCount.ShouldBe(1);
    }

    [Fact]
    public void RandomMixesOfTrickyMarkup_GiveTheSameLinksBothWays()
    {
        string[] pieces =
        [
            "<a href=/p{0}>", "<a href='/q{0}?a=1&b=2'>", "<a href=\"../r{0}#f\">", "<A HREF=s{0}>", "<a href>", "</a>",
            "<base href=/b{0}/>", "<!-- <a href=/c{0}> -->", "<!-->", "<script><a href=/s{0}></script>", "<style>x</style>",
            "<title><a href=/t{0}></title>", "<textarea><a href=/x{0}></textarea>", "<p>", "<div>", "</div>", "<ul><li>",
            "<b><i>", "</b>", "<br/>", "text & more ", "<img src=/i{0}>", "<a name=n{0}>", "<!doctype html>", "</p>",
            "<a href=/u{0} href=/v{0}>", "<a/href=/w{0}>", "<?pi?>", "<![CDATA[<a href=/d{0}>]]>", "<noscript>", "</noscript>",
            "<head>", "<body>", "</body>", "</html>", "<h1 class=\"a>b\">", "<a href='/y{0}'", " ", "\n", "<", "&amp;",
        ];
        var random = new Random(20261121);
        var fastPathPages = 0;
        for (var doc = 0; doc < 1500; doc++)
        {
            var html = new StringBuilder();
            var count = random.Next(1, 30);
            for (var i = 0; i < count; i++)
            {
                html.Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, pieces[random.Next(pieces.Length)], i));
            }

            var text = html.ToString();
            var (fast, dom, usedFastPath) = BothWays(() => TestResponses.Html(text, "https://site.example/dir/page"));
            fast.Links.ShouldBe(dom.Links, text);
            fast.BaseUrl.ShouldBe(dom.BaseUrl, text);
            fastPathPages += usedFastPath ? 1 : 0;
        }

        fastPathPages.ShouldBeGreaterThan(1000);
    }

    [Fact]
    public async Task SandboxPages_GiveTheSameLinksBothWays_OverHttp()
    {
        await using var site = await TestSites.StartAsync(pages: 50, quotePages: 3, configure: o => o.PageSize = 4096);
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var paths = new List<string> { "/", "/pages/0", "/pages/17", "/pages/49", "/quotes/", "/trap/bad-links", "/trap/links?n=500", "/trap/content/xml", "/trap/status/404" };
        paths.AddRange(SandboxSite.CharsetNames.Select(name => $"/trap/charset/{name}?declare=meta"));
        var fastPathPages = 0;
        foreach (var path in paths)
        {
            var first = await downloader.DownloadAsync(new Request(new Uri(site.BaseUrl, path)), CancellationToken.None);
            var second = await downloader.DownloadAsync(new Request(new Uri(site.BaseUrl, path)), CancellationToken.None);
            var responses = new Queue<Response>([first.Response.ShouldNotBeNull(first.Message), second.Response.ShouldNotBeNull(second.Message)]);

            var (fast, dom, usedFastPath) = BothWays(responses.Dequeue);

            fast.Links.ShouldBe(dom.Links, path);
            fast.BaseUrl.ShouldBe(dom.BaseUrl, path);
            fastPathPages += usedFastPath && fast.Links.Count > 0 ? 1 : 0;
        }

        fastPathPages.ShouldBeGreaterThanOrEqualTo(6);
    }

    private static ((IReadOnlyList<Uri> Links, Uri BaseUrl) Fast, (IReadOnlyList<Uri> Links, Uri BaseUrl) Dom, bool UsedFastPath) BothWays(Func<Response> make)
    {
        var fast = make();
        var fastLinks = fast.Links();
        var usedFastPath = fast.ParseCount == 0;

        var dom = make();
        if (dom.IsHtml)
        {
            _ = dom.Css("html");
        }

        return ((fastLinks, fast.BaseUrl), (dom.Links(), dom.BaseUrl), usedFastPath);
    }
}
