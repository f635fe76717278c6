using System.Runtime.CompilerServices;
using Trawl.Http;
using Trawl.Spiders;

namespace Trawl.Tests.Http;

public sealed class ResponseLinkTests
{
    private const string PageUrl = "https://shop.example/catalog/page.html?p=1";

    private static Response Page(string html, int depth = 0) => TestResponses.Html(html, PageUrl, depth: depth);

    [Theory]
    [InlineData("item/1", "https://shop.example/catalog/item/1")]
    [InlineData("/about", "https://shop.example/about")]
    [InlineData("../up", "https://shop.example/up")]
    [InlineData("?p=2", "https://shop.example/catalog/page.html?p=2")]
    [InlineData("//cdn.example/x.js", "https://cdn.example/x.js")]
    [InlineData("HTTP://Other.Example:80/a", "http://other.example/a")]
    [InlineData("  \n item/2\t ", "https://shop.example/catalog/item/2")]
    [InlineData("it\nem/\t3", "https://shop.example/catalog/item/3")]
    [InlineData("a b/ü", "https://shop.example/catalog/a%20b/%C3%BC")]
    [InlineData("", PageUrl)]
    [InlineData("#reviews", PageUrl + "#reviews")]
    [InlineData("\\windows\\style", "https://shop.example/windows/style")]
    public void UrlJoin_ResolvesAgainstThePage(string href, string expected)
    {
        Page("<p>no base</p>").UrlJoin(href).ShouldBe(new Uri(expected));
    }

    [Theory]
    [InlineData("javascript:void(0)")]
    [InlineData("JavaScript:alert(1)")]
    [InlineData(" javascript:alert(1)")]
    [InlineData("java\nscript:alert(1)")]
    [InlineData("mailto:sales@shop.example")]
    [InlineData("tel:+123456")]
    [InlineData("data:text/html,<p>x</p>")]
    [InlineData("ftp://files.example/x")]
    [InlineData("file:///etc/passwd")]
    [InlineData("c:/windows/system32")]
    [InlineData("\\\\server\\share")]
    [InlineData("http://")]
    [InlineData("http://exa mple.com/")]
    [InlineData("http://example.com:99999/")]
    [InlineData("https://[::1/")]
    public void UrlJoin_RejectsWhatCannotBeFetched(string href)
    {
        var page = Page("<p>x</p>");

        page.UrlJoin(href).ShouldBeNull();
        Should.Throw<ArgumentException>(() => page.Follow(href)).Message.ShouldContain(href.Trim());
    }

    [Fact]
    public void UrlJoin_RejectsOverLongLinks()
    {
        var page = Page("<p>x</p>");
        var longest = "/" + new string('a', Response.MaxUrlLength - "https://shop.example/".Length);

        page.UrlJoin(longest)!.AbsoluteUri.Length.ShouldBe(Response.MaxUrlLength);
        page.UrlJoin(longest + "a").ShouldBeNull();
        page.UrlJoin("https://shop.example/" + new string('b', 100_000)).ShouldBeNull();
        Should.Throw<ArgumentException>(() => page.Follow(longest + "a")).Message.Length.ShouldBeLessThan(1000);
    }

    [Fact]
    public void UrlJoin_NullOrGarbage_NeverThrows()
    {
        var page = Page("<base href='/b/'><p>x</p>");
        var random = new Random(42);
        for (var i = 0; i < 3000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var c = 0; c < chars.Length; c++)
            {
                chars[c] = random.Next(4) switch
                {
                    0 => (char)random.Next(0, 0x80),
                    1 => "%:/\\?#[]@!$&'()*+,;= .\t\n"[random.Next(24)],
                    2 => (char)random.Next(0xD800, 0xE000),
                    _ => (char)random.Next(0x80, 0xFFFF),
                };
            }

            var href = new string(chars);
            Should.NotThrow(() => page.UrlJoin(href), $"href {string.Join(' ', href.Select(ch => ((int)ch).ToString("X4")))}");
        }

        page.UrlJoin(null!).ShouldBeNull();
    }

    [Fact]
    public void BaseHref_IsHonouredForRelativeLinks()
    {
        var page = Page("<html><head><base href='https://static.example/v2/'></head><body><a href='img/a.png'>a</a></body></html>");

        page.BaseUrl.ShouldBe(new Uri("https://static.example/v2/"));
        page.UrlJoin("img/a.png").ShouldBe(new Uri("https://static.example/v2/img/a.png"));
        page.UrlJoin("/root").ShouldBe(new Uri("https://static.example/root"));
        page.UrlJoin("https://elsewhere.example/x").ShouldBe(new Uri("https://elsewhere.example/x"));
        page.Follow("img/a.png").Url.ShouldBe(new Uri("https://static.example/v2/img/a.png"));
    }

    [Fact]
    public void BaseHref_RelativeBaseResolvesAgainstThePageUrl()
    {
        var page = Page("<base href=' ../assets/ '><a href=x>x</a>");

        page.BaseUrl.ShouldBe(new Uri("https://shop.example/assets/"));
        page.UrlJoin("x").ShouldBe(new Uri("https://shop.example/assets/x"));
    }

    [Theory]
    [InlineData("<base href='javascript:alert(1)'>")]
    [InlineData("<base target=_blank>")]
    [InlineData("<base href='ftp://files.example/'>")]
    [InlineData("<basefont size=3>")]
    public void BaseHref_UnusableOrAbsent_FallsBackToThePageUrl(string head)
    {
        var page = Page($"<html><head>{head}</head><body><a href=x>x</a></body></html>");

        page.BaseUrl.ShouldBe(new Uri(PageUrl));
        page.UrlJoin("x").ShouldBe(new Uri("https://shop.example/catalog/x"));
    }

    [Fact]
    public void BaseHref_FirstOneWins()
    {
        var page = Page("<base href='https://first.example/'><base href='https://second.example/'>");

        page.BaseUrl.ShouldBe(new Uri("https://first.example/"));
    }

    [Fact]
    public void BaseUrl_WithoutABaseElement_DoesNotParseThePage()
    {
        var page = Page("<p>plain</p>");

        page.BaseUrl.ShouldBe(new Uri(PageUrl));
        page.UrlJoin("x").ShouldNotBeNull();
        page.ParseCount.ShouldBe(0);
    }

    [Fact]
    public void BaseUrl_OfNonHtml_IsTheUrl()
    {
        var json = TestResponses.Bytes("{\"next\":\"/page/2\", \"x\": \"<base href='/b/'>\"}"u8.ToArray(), PageUrl, "application/json");

        json.BaseUrl.ShouldBe(new Uri(PageUrl));
        json.Follow("/page/2").Url.ShouldBe(new Uri("https://shop.example/page/2"));
    }

    [Fact]
    public void Follow_StripsTheFragmentIncrementsDepthAndRecordsTheCallback()
    {
        var spider = new DetailSpider();
        var page = Page("<a href='item/7#reviews'>7</a>", depth: 2);

        var request = page.Follow("item/7#reviews", spider.ParseDetail);

        request.Url.ShouldBe(new Uri("https://shop.example/catalog/item/7"));
        request.Url.Fragment.ShouldBeEmpty();
        request.Depth.ShouldBe(3);
        request.Callback.ShouldBe(nameof(DetailSpider.ParseDetail));
        request.Method.ShouldBe("GET");
    }

    [Fact]
    public void Follow_WithoutCallbackOrWithParseAsync_RecordsNoCallback()
    {
        var spider = new DetailSpider();
        var page = Page("<p>x</p>");

        page.Follow("a").Callback.ShouldBeNull();
        page.Follow("a", spider.ParseAsync).Callback.ShouldBeNull();
        page.Follow("a#").Url.AbsoluteUri.ShouldBe("https://shop.example/catalog/a");
    }

    [Fact]
    public void Follow_CallbackThatIsNotASpiderMethod_Throws()
    {
        var page = Page("<p>x</p>");

        Should.Throw<ArgumentException>(() => page.Follow("a", static (_, _) => AsyncEnumerable.Empty<object>()));
    }

    [Fact]
    public void FollowAll_SkipsUnusableLinksSilently()
    {
        var spider = new DetailSpider();
        var page = Page("""
            <a href="item/1#top">1</a>
            <a href="javascript:void(0)">js</a>
            <a name="anchor-without-href">none</a>
            <a href="mailto:x@shop.example">mail</a>
            <a href="  /item/2 ">2</a>
            <img src="/img/3.png"><script src="https://cdn.example/s.js"></script>
            """, depth: 1);

        var requests = page.FollowAll(page.Css("a, img, script"), spider.ParseDetail);

        requests.Select(r => r.Url.AbsoluteUri).ShouldBe(
        [
            "https://shop.example/catalog/item/1",
            "https://shop.example/item/2",
            "https://shop.example/img/3.png",
            "https://cdn.example/s.js",
        ]);
        requests.ShouldAllBe(r => r.Depth == 2 && r.Callback == nameof(DetailSpider.ParseDetail));
    }

    [Fact]
    public void FollowAll_AcceptsACssQueryAttributeSelectionOrHrefs()
    {
        var page = Page("<li class=next><a href='/p/2'>next</a></li><a href='/other'>o</a>");

        page.FollowAll("li.next a").Select(r => r.Url.AbsolutePath).ShouldBe(["/p/2"]);
        page.FollowAll(page.Css("a::attr(href)")).Select(r => r.Url.AbsolutePath).ShouldBe(["/p/2", "/other"]);
        page.FollowAll(["/x", "javascript:x", "y"]).Select(r => r.Url.AbsolutePath).ShouldBe(["/x", "/catalog/y"]);
    }

    [Fact]
    public void Links_ResolvedDistinctFragmentlessHttpUrlsInDocumentOrder()
    {
        var page = Page("""
            <base href="https://shop.example/base/">
            <a href="b">b</a><a href="a#one">a1</a><a href="a#two">a2</a><a href="javascript:x">js</a>
            <a href="//cdn.example/c">c</a><a>no href</a><a href="">self</a>
            """);

        page.Links().Select(u => u.AbsoluteUri).ShouldBe(
        [
            "https://shop.example/base/b",
            "https://shop.example/base/a",
            "https://cdn.example/c",
            "https://shop.example/base/",
        ]);
    }

    [Fact]
    public void Links_TakesAnyQueryIncludingAttributes()
    {
        var page = Page("<nav><a href='/n1'>1</a></nav><a href='/out'>o</a><div data-href='/d'></div>");

        page.Links("nav a").Select(u => u.AbsolutePath).ShouldBe(["/n1"]);
        page.Links("div::attr(data-href)").Select(u => u.AbsolutePath).ShouldBe(["/d"]);
    }

    [Fact]
    public void Links_OfNonHtml_IsEmpty()
    {
        TestResponses.Bytes("<a href='/x'>"u8.ToArray(), PageUrl, "text/plain").Links().ShouldBeEmpty();
    }

    private sealed class DetailSpider : Spider
    {
        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }

        public async IAsyncEnumerable<object> ParseDetail(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield return response.Url;
        }
    }
}
