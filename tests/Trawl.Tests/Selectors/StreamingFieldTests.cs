using Trawl.Downloader;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Selectors;
using Trawl.Tests.Html;
using Trawl.Tests.Http;

namespace Trawl.Tests.Selectors;

/// <summary>
/// Fields evaluated while tokenizing must give exactly what the parsed document gives (<c>Css(query).Get()</c> and
/// <c>GetAll()</c>), or give up; and on ordinary pages they must not give up.
/// </summary>
public sealed class StreamingFieldTests
{
    // Selectors across the streamable subset, each run for its first value and for all of them.
    private static readonly string[] Queries =
    [
        "title::text", "h1::text", "h1.t::text", "div.price::text", "p::text", "div ::text", "::text", "*::text", "a::attr(href)",
        "a[href]::attr(href)", "::attr(class)", "li a::attr(href)", "ul > li::text", "div > ::text", "div *::text", "div > *::text",
        "span.text::text", "small.author::text", "div.quote span::text", "div.tags a.tag::text", "li.next a::attr(href)",
        "meta[name=description]::attr(content)", "meta[charset]::attr(charset)", "link[rel~=x]::attr(href)", "[id]::attr(id)",
        "#s3::text", "*[class|=a]::text", "[class^=a]::attr(class)", "[class$=\"1\"]::attr(class)", "[class*=b]::text",
        "body::attr(class)", "html::attr(lang)", "head > title::text", "h1::text, h2::text", "a::attr(href), link::attr(href)",
        "div.a.b1 > span::text", "custom-el::attr(data-x)", "DIV::text", "time::attr(datetime)", "textarea::text", "script::text",
        "style::text", "pre::text", "img::attr(alt)", "p ::text", "html ::attr(id)", "label::text", "section ::text", "b::text",
        "i::text", "[class~=a]::text", "body > p::text", "html > head > *::text", "li::text", "dd::text, dt::text",
        "div::text, div::attr(class), span::text", "[class=\"a b1\"]::text", "a[href^='/x']::attr(href)", "[lang|=en]::attr(lang)",
        "body ::attr(class), p::attr(class)", "form ::text", "span#s1::text, p.p1::text", "noscript::text", "x-y::text",
        "div.b::text", "p.p1 ::text, p.p2 ::text", "[data-x]::attr(data-x)", "address::text", "*::attr(href)",
        "a[HREF]::attr(href)", "[Class~=a]::text", "A::attr(href)", "*.a::text", "[id=h3]::text", "span[id]::text",
        "[class='']::text", "[class|='']::text", "[class^='']::text", "div[class~='b1'] > span::text",
    ];

    [Fact]
    public void Queries_AreAllStreamable()
    {
        foreach (var query in Queries)
        {
            FieldPlan.FirstMatches(query).CanStream.ShouldBeTrue(query);
        }
    }

    [Theory]
    [InlineData("div.quote")]
    [InlineData("a:first-child::text")]
    [InlineData("h1 + p::text")]
    [InlineData("h1 ~ p::text")]
    [InlineData("> p::text")]
    [InlineData("a::attr(HREF)")]
    [InlineData("a[href=x i]::text")]
    [InlineData("a\\.b::text")]
    [InlineData("svg|a::text")]
    [InlineData("p:not(.x)::text")]
    public void QueriesOutsideTheSubset_UseTheDocument(string query)
    {
        var plan = FieldPlan.FirstMatches("title::text", query);
        plan.CanStream.ShouldBeFalse();

        var response = TestResponses.Html(QuotesPage.Html);
        response.TryExtract(plan, out var values).ShouldBeTrue();
        values!.Streamed.ShouldBeFalse();
        values[0].ShouldBe(response.Css("title::text").Get());
        values[1].ShouldBe(response.Css(query).Get());
    }

    [Fact]
    public void RealWorldPages_GiveTheSameValues_WithoutParsing()
    {
        foreach (var html in RealWorldPages)
        {
            ShouldAgree(html, expectStreamed: true);
        }
    }

    [Fact]
    public void MalformedPages_GiveTheSameValues_OrGiveUp()
    {
        foreach (var html in MalformedPages)
        {
            ShouldAgree(html, expectStreamed: null);
        }
    }

    [Fact]
    public void RandomPages_GiveTheSameValues_OrGiveUp()
    {
        var streamed = 0;
        var count = 0;
        foreach (var html in RandomHtml.Pages(seed: 424242, count: 1000))
        {
            count++;
            streamed += ShouldAgree(html, expectStreamed: null) ? 1 : 0;
        }

        streamed.ShouldBeGreaterThan(count / 5);
    }

    [Fact]
    public void ExtractOnAResponse_StreamsWithoutParsing_AndAgreesWithCss()
    {
        var plan = FieldPlan.FirstMatches("title::text", "div.quote small.author::text", "li.next a::attr(href)", "h2::text");
        var response = TestResponses.Html(QuotesPage.Html);

        response.TryExtract(plan, out var values).ShouldBeTrue();

        values!.Streamed.ShouldBeTrue();
        response.ParseCount.ShouldBe(0);
        var parsed = TestResponses.Html(QuotesPage.Html);
        for (var i = 0; i < plan.Fields.Count; i++)
        {
            values[i].ShouldBe(parsed.Css((CssQuery)plan.Fields[i].Query).Get());
        }

        values[1].ShouldBe("Albert Einstein");
        values[3].ShouldBeNull();
    }

    [Fact]
    public void ExtractOnAParsedResponse_UsesTheDocument()
    {
        var plan = FieldPlan.FirstMatches("title::text");
        var response = TestResponses.Html(QuotesPage.Html);
        _ = response.Css("h1");

        response.TryExtract(plan, out var values).ShouldBeTrue();

        values!.Streamed.ShouldBeFalse();
        values[0].ShouldBe("Quotes to Scrape");
        response.ParseCount.ShouldBe(1);
    }

    [Fact]
    public void ExtractOnAPageTheStreamCannotRead_ParsesIt_AndGivesTheDocumentsValues()
    {
        var plan = FieldPlan.FirstMatches("td::text", "p::text");
        var response = TestResponses.Html("<p>before</p><table><tr><td>cell</td></tr><p>fostered</p></table>");

        response.TryExtract(plan, out var values).ShouldBeTrue();

        values!.Streamed.ShouldBeFalse();
        values[0].ShouldBe("cell");
        values[1].ShouldBe("before");
        response.ParseCount.ShouldBe(1);
    }

    [Fact]
    public void ExtractOnAResponseThatIsNotHtml_GivesNothing()
    {
        var response = TestResponses.Html("{\"a\": 1}", contentType: "application/json");

        response.TryExtract(FieldPlan.FirstMatches("title::text"), out var values).ShouldBeFalse();
        values.ShouldBeNull();
    }

    [Fact]
    public async Task SandboxPages_GiveTheSameValues_OverHttp_AndOrdinaryOnesStream()
    {
        var options = new SandboxOptions { Pages = 40, QuotePages = 3, PageSize = 4096, Seed = 7 };
        await using var site = await SandboxServer.StartAsync(options);
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var ordinary = new List<string> { "/", "/pages/0", "/pages/17", "/pages/39", "/quotes/", "/quotes/page/2/", "/trap/links?n=300", "/trap/content/untyped-html", "/trap/large?mb=1" };
        ordinary.AddRange(SandboxSite.Authors(options).Take(2).Select(author => $"/quotes/author/{author.Slug}/"));
        ordinary.AddRange(SandboxSite.Quotes(options).SelectMany(quote => quote.Tags).Distinct().Take(2).Select(tag => $"/quotes/tag/{tag}/"));
        var others = new List<string> { "/trap/bad-links", "/trap/status/404", "/trap/status/500" };
        others.AddRange(SandboxSite.CharsetNames.Select(name => $"/trap/charset/{name}?declare=meta"));
        foreach (var (path, isOrdinary) in ordinary.Select(path => (path, true)).Concat(others.Select(path => (path, false))))
        {
            var download = await downloader.DownloadAsync(new Request(new Uri(site.BaseUrl, path)), CancellationToken.None);
            var response = download.Response.ShouldNotBeNull(download.Message);
            response.IsHtml.ShouldBeTrue(path);
            ShouldAgree(response.Text, expectStreamed: isOrdinary ? true : null, path);
        }
    }

    private static readonly (string[] Queries, FieldPlan First, FieldPlan All)[] Plans =
    [
        .. Queries.Chunk(10).Select(chunk => (
            chunk,
            FieldPlan.Create(chunk.Select(query => new FieldQuery(CssQuery.Parse(query)))),
            FieldPlan.Create(chunk.Select(query => new FieldQuery(CssQuery.Parse(query), AllMatches: true))))),
    ];

    [Fact]
    public void TestPlans_AreStreamable()
    {
        Plans.ShouldAllBe(plan => plan.First.CanStream && plan.All.CanStream);
    }

    // Compares every query, first and all, both ways, in plans of a few fields each (a plan holds up to 64 selector
    // parts). Returns whether the stream answered.
    private static bool ShouldAgree(string html, bool? expectStreamed, string? name = null)
    {
        var document = new Lazy<AngleSharp.Html.Dom.IHtmlDocument>(() => HtmlParsing.Parse(html));
        var answered = new List<bool>();
        foreach (var (chunk, first, all) in Plans)
        {
            var streamedFirst = first.TryStream(html, out var reason);
            var streamedAll = all.TryStream(html);
            if (expectStreamed is { } expected)
            {
                (streamedFirst is not null).ShouldBe(expected, $"{reason} in {name ?? html}");
            }

            // Wanting only first values may spare the stream text it cannot decode, never the reverse.
            if (streamedAll is not null)
            {
                streamedFirst.ShouldNotBeNull(name ?? html);
            }

            answered.Add(streamedAll is not null);
            if (streamedFirst is null)
            {
                continue;
            }

            // The document's first value is the first of all its values (Get() is GetAll()[0]).
            var domAll = all.Select(document.Value);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (streamedFirst is not null)
                {
                    streamedFirst[i].ShouldBe(domAll.All(i).FirstOrDefault(), $"{chunk[i]} (first) on {name ?? html}");
                }

                if (streamedAll is not null)
                {
                    streamedAll.All(i).ShouldBe(domAll.All(i), $"{chunk[i]} (all) on {name ?? html}");
                }
            }
        }

        return answered.All(streamed => streamed);
    }

    internal static readonly string[] RealWorldPages =
    [
        QuotesPage.Html,
        """
        <!DOCTYPE html>
        <html lang="en-GB">
        <head>
          <meta charset="utf-8">
          <meta name="description" content="A shop &amp; more">
          <title>Widget — Shop</title>
          <link rel="x stylesheet" href="/s.css">
          <script>window.dataLayer = [];  if (a < b && c > d) {}</script>
          <style>.price > span { color: red }</style>
        </head>
        <body class="product page">
          <header><nav><ul class="menu"><li><a href="/">Home</a></li><li><a href="/shop?a=1&amp;b=2">Shop</a></li></ul></nav></header>
          <main id="s3">
            <h1 class="t">Widget&nbsp;Pro &#8212; 2024</h1>
            <div class="price">  £19.99 </div>
            <div class="a b1"><span>first</span> and <span>second</span></div>
            <p class="p1">Some <b>bold</b> and <i>italic</i> text&hellip;</p>
            <p class="p2">Line one<br>Line two</p>
            <img src="/w.png" alt="A &quot;widget&quot;">
            <form action="/buy"><label>Qty <input name=q value=1></label><button>Buy</button></form>
            <time datetime="2024-01-02">2 Jan</time>
            <textarea name="notes">
        note &lt;here&gt;</textarea>
            <pre>
          code
        </pre>
          </main>
          <footer><p>&copy; 2024 Shop</p></footer>
        </body>
        </html>
        """,
        "<html><head><title>No body tag</title></head><h1>Heading</h1><p>para one<p>para two<ul><li>one<li>two</ul>",
        "<title>Fragment</title><div class=price>9</div><div class=price>10</div>",
        "<!doctype html><html><body>\r\n<h1 class=t>CRLF page</h1>\r\n<p class=p1>a\r\nb</p>\r\n</body></html>\r\n",
        "<div class=quote><span class=text>“Q”</span><small class=author>A</small><div class=tags><a class=tag href=/t/a>a</a></div></div><li class=next><a href=/page/2/>Next</a></li>",
        "<dl><dt>Term<dd>Definition<dt>Term 2<dd>Definition 2</dl><h1>a<h2>b</h2>",
    ];

    internal static readonly string[] MalformedPages =
    [
        "<ul><li>one<li>two<li>three</ul><p>para one<p>para two",
        "<a href=/next/page class=btn disabled data-x=>go</a>",
        "<div class=a>one</div></div></span><div class=b>two</div></p>",
        "<p><b>bold <i>both</b> italic</i></p>",
        "<table><tr><td>cell</td></tr></table><div class=price>1</div>",
        "<div><p>unclosed in div</div><p>after",
        "<body><p>x</p></body><p>after body</p></html><!-- c --> tail",
        "<head><title>t</title></head> <body class=late-space> <h1 class=t>x</h1>",
        "<html lang=en><html lang=fr>",
        "<h1 class=t>a &copy2024 b</h1>",
        "<h1 class=t>a\0b</h1>",
        "<svg><title>t</title></svg><h1>x</h1>",
        "<select><option>o</select><h1>x</h1>",
        "<p class=p1>a<!-- c -->b<?pi?>c</p>",
        "<span id=s1>x</span><span id=s1>y</span>",
        "<div class='a b1'><span>x</span><div class='a b1'><span>y</span></div>z</div>",

        // Hostile shapes: nesting at and past the stream's depth limit, many attributes, long text and values.
        string.Concat(Enumerable.Repeat("<div class=a>", 1500)) + "<span>deep</span>",
        string.Concat(Enumerable.Repeat("<div class=a>", 5000)) + "<span>deeper</span>",
        "<div " + string.Join(' ', Enumerable.Range(0, 500).Select(i => $"a{i}={i}")) + " class=a id=h3>many</div>",
        "<p class=p1>" + new string('x', 300_000) + "</p><a href='/" + new string('y', 100_000) + "'>long</a>",
        string.Concat(Enumerable.Repeat("<p>one<li>two<dd>three<h1>four", 300)),
    ];
}
