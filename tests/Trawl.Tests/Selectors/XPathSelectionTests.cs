using Trawl.Downloader;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Selectors;
using Trawl.Tests.Html;
using Trawl.Tests.Http;

namespace Trawl.Tests.Selectors;

/// <summary>
/// XPath 1.0 over the same parsed document CSS reads: equivalent expressions give the same values, on real-world
/// pages, malformed ones and random ones.
/// </summary>
public sealed class XPathSelectionTests
{
    private const string Class = "contains(concat(' ', normalize-space(@class), ' '), ' {0} ')";

    // CSS and the XPath that means the same, as Scrapy users would write it.
    private static readonly (string Css, string XPath)[] Equivalents =
    [
        ("title::text", "//title/text()"),
        ("h1::text", "//h1/text()"),
        ("h1.t::text", $"//h1[{Cls("t")}]/text()"),
        ("div.price::text", $"//div[{Cls("price")}]/text()"),
        ("p::text", "//p/text()"),
        ("div ::text", "//div//text()"),
        ("::text", "//text()"),
        ("a::attr(href)", "//a/@href"),
        ("a[href]::attr(href)", "//a[@href]/@href"),
        ("::attr(class)", "//@class"),
        ("li a::attr(href)", "//li//a/@href"),
        ("ul > li::text", "//ul/li/text()"),
        ("div > ::text", "//div/*/text()"),
        ("span.text::text", $"//span[{Cls("text")}]/text()"),
        ("small.author::text", $"//small[{Cls("author")}]/text()"),
        ("div.quote span::text", $"//div[{Cls("quote")}]//span/text()"),
        ("div.tags a.tag::text", $"//div[{Cls("tags")}]//a[{Cls("tag")}]/text()"),
        ("li.next a::attr(href)", $"//li[{Cls("next")}]//a/@href"),
        ("meta[name=description]::attr(content)", "//meta[@name='description']/@content"),
        ("meta[charset]::attr(charset)", "//meta[@charset]/@charset"),
        ("[id]::attr(id)", "//*[@id]/@id"),
        ("h1::text, h2::text", "//h1/text() | //h2/text()"),
        ("a::attr(href), link::attr(href)", "//a/@href | //link/@href"),
        ("head > title::text", "//head/title/text()"),
        ("body > p::text", "//body/p/text()"),
        ("html::attr(lang)", "/html/@lang"),
        ("time::attr(datetime)", "//time/@datetime"),
        ("img::attr(alt)", "//img/@alt"),
        ("script::text", "//script/text()"),
        ("textarea::text", "//textarea/text()"),
        ("pre::text", "//pre/text()"),
        ("dd::text, dt::text", "//dd/text() | //dt/text()"),
        ("div.quote", $"//div[{Cls("quote")}]"),
        ("a", "//a"),
        ("li", "//li"),
        ("p:first-child::text", "//p[not(preceding-sibling::*)]/text()"),
        ("h1 + p::text", "//h1/following-sibling::*[1][self::p]/text()"),
        ("span#s1::text", "//span[@id='s1']/text()"),
        ("custom-el::attr(data-x)", "//custom-el/@data-x"),
    ];

    [Fact]
    public void RealWorldPages_GiveWhatTheEquivalentCssGives()
    {
        foreach (var html in StreamingFieldTests.RealWorldPages)
        {
            ShouldAgree(html);
        }
    }

    [Fact]
    public void MalformedPages_GiveWhatTheEquivalentCssGives()
    {
        foreach (var html in StreamingFieldTests.MalformedPages)
        {
            ShouldAgree(html);
        }
    }

    [Fact]
    public void RandomPages_GiveWhatTheEquivalentCssGives()
    {
        foreach (var html in RandomHtml.Pages(seed: 1107, count: 300))
        {
            ShouldAgree(html);
        }
    }

    [Fact]
    public async Task SandboxPages_GiveWhatTheEquivalentCssGives_OverHttp()
    {
        var options = new SandboxOptions { Pages = 20, QuotePages = 2, PageSize = 2048, Seed = 11 };
        await using var site = await SandboxServer.StartAsync(options);
        using var downloader = new HttpDownloader(new DownloaderOptions());
        foreach (var path in new[] { "/", "/pages/3", "/quotes/", "/quotes/page/2/", "/trap/bad-links", "/trap/charset/windows-1251?declare=meta" })
        {
            var download = await downloader.DownloadAsync(new Request(new Uri(site.BaseUrl, path)), CancellationToken.None);
            var response = download.Response.ShouldNotBeNull(download.Message);
            ShouldAgree(response.Text, path);
        }
    }

    [Fact]
    public void QuotesPage_ReadsLikeTheScrapyTutorial()
    {
        var response = TestResponses.Html(QuotesPage.Html);

        var quotes = response.XPath("//div[@class='quote']");

        quotes.Count.ShouldBe(3);
        quotes[0].IsElement.ShouldBeTrue();
        quotes.Select(quote => quote.XPath(".//small[@class='author']/text()").Get()).ShouldBe(["Albert Einstein", "J.K. Rowling", "Steve Martin"]);
        quotes[0].XPath("./div[@class='tags']/a/text()").GetAll().ShouldBe(["change", "deep-thoughts", "thinking", "world"]);
        response.XPath("//li[@class='next']/a/@href").Get().ShouldBe("/page/2/");
        response.XPath("//nothing/text()").Get().ShouldBeNull();
    }

    [Fact]
    public void InsideASelector_DoubleSlashSearchesTheWholeDocument_AndDotSlashOnlyTheNode()
    {
        var response = TestResponses.Html("<div id=a><p>in</p></div><p>out</p>");
        var div = response.XPath("//div")[0];

        div.XPath(".//p/text()").GetAll().ShouldBe(["in"]);
        div.XPath("//p/text()").GetAll().ShouldBe(["in", "out"]);
        div.XPath("@id").Get().ShouldBe("a");
        response.XPath("//p").XPath("text()").GetAll().ShouldBe(["in", "out"]);
    }

    [Fact]
    public void ExpressionsThatAreNotNodeSets_GiveOneValue()
    {
        var response = TestResponses.Html("<title> T </title><a href=1>x</a><a href=2>y</a>");

        response.XPath("count(//a)").Get().ShouldBe("2");
        response.XPath("count(//a) div 4").Get().ShouldBe("0.5");
        response.XPath("string(//a[2]/@href)").Get().ShouldBe("2");
        response.XPath("normalize-space(//title)").Get().ShouldBe("T");
        response.XPath("boolean(//form)").Get().ShouldBe("false");
        response.XPath("1 div 0").Get().ShouldBe("Infinity");
        var value = response.XPath("count(//a)")[0];
        value.IsElement.ShouldBeFalse();
        value.XPath("//a").ShouldBeEmpty();
    }

    [Fact]
    public void CommentsTheRootAndUnions_ComeInDocumentOrder()
    {
        var response = TestResponses.Html("<!doctype html><p class=x>a<!-- note -->b</p><h2>h</h2><h1>g</h1>");

        response.XPath("//comment()").Get().ShouldBe("<!-- note -->");
        response.XPath("//comment()")[0].Text.ShouldBe(" note ");
        response.XPath("//h1/text() | //h2/text() | //p/@class").GetAll().ShouldBe(["x", "h", "g"]);
        response.XPath("(//p/text())[2]").Get().ShouldBe("b");
        var root = response.XPath("/").ShouldHaveSingleItem();
        root.Text.ShouldBe("abhg");
        root.XPath("//h1/text()").Get().ShouldBe("g");
        root.Css("h2::text").Get().ShouldBe("h");
        response.XPath("/html/body/*").Count.ShouldBe(3);
        response.XPath("count(/node())").Get().ShouldBe("1");
    }

    [Fact]
    public void ForeignElements_AreNamedWithoutNamespaces_AndIdFindsElements()
    {
        var response = TestResponses.Html("<svg><circle r=1 /></svg><math><mi>x</mi></math><span id=s>t</span>");

        response.XPath("//svg/circle/@r").Get().ShouldBe("1");
        response.XPath("//math/mi/text()").Get().ShouldBe("x");
        response.XPath("id('s')/text()").Get().ShouldBe("t");
    }

    [Theory]
    [InlineData("//a[", "XPath expression '//a['")]
    [InlineData("//a[@href=$next]", "variable")]
    [InlineData("//svg:rect", "prefix")]
    [InlineData("//a[has-class('x')]", "function")]
    [InlineData("  ", "empty")]
    public void BadExpressions_ThrowSelectorSyntaxException_NamingTheExpression(string expression, string hint)
    {
        var ex = Should.Throw<SelectorSyntaxException>(() => XPathQuery.Parse(expression));

        ex.Query.ShouldBe(expression);
        ex.Message.ShouldContain(hint);
        Should.Throw<SelectorSyntaxException>(() => TestResponses.Html("<a>x</a>").XPath(expression));
    }

    [Fact]
    public void XPathOnAResponseThatIsNotHtml_IsNotSupported()
    {
        var json = TestResponses.Html("{\"a\": 1}", contentType: "application/json");

        Should.Throw<NotSupportedException>(() => json.XPath("//a")).Message.ShouldContain("XPath");
    }

    [Fact]
    public void FieldPlans_ReadXPathFieldsFromTheDocument_AndTellThemByHowTheyStart()
    {
        FieldSelectors.IsXPath("//h1/text()").ShouldBeTrue();
        FieldSelectors.IsXPath(" ./p").ShouldBeTrue();
        FieldSelectors.IsXPath("(//a/@href)[1]").ShouldBeTrue();
        FieldSelectors.IsXPath("h1::text").ShouldBeFalse();
        FieldSelectors.IsXPath(".quote > a").ShouldBeFalse();
        var plan = FieldPlan.FirstMatches("title::text", "//small[@class='author']/text()", "(//a[@class='tag']/text())[last()]");
        plan.CanStream.ShouldBeFalse();
        var response = TestResponses.Html(QuotesPage.Html);

        response.TryExtract(plan, out var values).ShouldBeTrue();

        values!.Streamed.ShouldBeFalse();
        values[0].ShouldBe("Quotes to Scrape");
        values[1].ShouldBe("Albert Einstein");
        values[2].ShouldBe("choices");
    }

    private static string Cls(string name) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Class, name);

    private static void ShouldAgree(string html, string? name = null)
    {
        // Each page is parsed once by each response, and both languages read that one document.
        var response = TestResponses.Html(html);
        foreach (var (css, xpath) in Equivalents)
        {
            // One CSS selector ending in an element's own ::text lists each match's text nodes together, so nested
            // matches (<div>a<div>b</div>c</div>) give a, c, b where XPath, like lxml, gives document order: a, b, c.
            var ownText = css.EndsWith("::text", StringComparison.Ordinal) && !css.Contains(',', StringComparison.Ordinal) && css is not ("div ::text" or "::text");
            response.XPath(xpath).GetAll().ShouldBe(response.Css(css).GetAll(), ignoreOrder: ownText, $"{xpath} vs {css} on {name ?? html}");
        }
    }

    [Fact]
    public void OwnTextOfNestedMatches_ComesInDocumentOrder()
    {
        var response = TestResponses.Html("<div>a<div>b</div>c</div>");

        response.XPath("//div/text()").GetAll().ShouldBe(["a", "b", "c"]);
        response.Css("div::text").GetAll().ShouldBe(["a", "c", "b"]);
    }
}
