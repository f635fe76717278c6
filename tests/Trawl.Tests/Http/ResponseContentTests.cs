using System.Text;
using Trawl.Http;
using Trawl.Selectors;

namespace Trawl.Tests.Http;

public sealed class ResponseContentTests
{
    [Theory]
    [InlineData("text/html; charset=UTF-8", "text/html", true)]
    [InlineData("TEXT/HTML", "text/html", true)]
    [InlineData("  application/xhtml+xml ; charset=\"utf-8\"", "application/xhtml+xml", true)]
    [InlineData("application/json", "application/json", false)]
    [InlineData("text/plain; charset=utf-8", "text/plain", false)]
    [InlineData("image/png", "image/png", false)]
    public void ContentType_IsTheLowerCasedMediaType(string header, string mediaType, bool isHtml)
    {
        var response = TestResponses.Bytes("<html><body>x</body></html>"u8.ToArray(), contentType: header);

        response.ContentType.ShouldBe(mediaType);
        response.IsHtml.ShouldBe(isHtml);
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html><body>x</body></html>", true)]
    [InlineData("\n\n   <html lang=en>", true)]
    [InlineData("\uFEFF<!doctype HTML>\n<title>t</title>", true)]
    [InlineData("<!-- comment --><div>x</div>", true)]
    [InlineData("<HTML>", true)]
    [InlineData("{\"html\": \"<html>\"}", false)]
    [InlineData("<?xml version=\"1.0\"?><rss></rss>", false)]
    [InlineData("<htmlx>", false)]
    [InlineData("", false)]
    public void IsHtml_WithoutContentType_SniffsTheFirstBytes(string body, bool isHtml)
    {
        var response = TestResponses.Bytes(Encoding.UTF8.GetBytes(body), contentType: null);

        response.ContentType.ShouldBe(string.Empty);
        response.IsHtml.ShouldBe(isHtml);
    }

    [Fact]
    public void ContentType_HeaderNameIsMatchedCaseInsensitivelyEvenInAnOrdinalDictionary()
    {
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { ["content-type"] = ["text/html"] };
        var request = new Request("https://example.com/");

        var response = new Response(request, request.Url, 200, headers, "<p>x</p>"u8.ToArray());

        response.ContentType.ShouldBe("text/html");
        response.Css("p::text").Get().ShouldBe("x");
    }

    [Fact]
    public void Css_OnNonHtml_ThrowsNotSupportedExplainingWhy()
    {
        var json = TestResponses.Bytes("{\"a\":1}"u8.ToArray(), contentType: "application/json");

        var ex = Should.Throw<NotSupportedException>(() => json.Css("a"));

        ex.Message.ShouldContain("application/json");
        ex.Message.ShouldContain("IsHtml");
        json.Text.ShouldBe("{\"a\":1}");
    }

    [Fact]
    public void Css_OnImageWithoutContentType_ThrowsNotSupported()
    {
        var png = TestResponses.Bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D], contentType: null);

        png.IsHtml.ShouldBeFalse();
        Should.Throw<NotSupportedException>(() => png.Css("a"));
        png.ParseCount.ShouldBe(0);
    }

    [Fact]
    public void Css_BadSyntaxOnNonHtml_ReportsTheSyntaxFirst()
    {
        var json = TestResponses.Bytes("{}"u8.ToArray(), contentType: "application/json");

        Should.Throw<SelectorSyntaxException>(() => json.Css("a["));
    }

    [Fact]
    public void Html_IsParsedOnceAcrossQueries()
    {
        var response = TestResponses.Html("<div><p>1</p><p>2</p></div>");
        response.ParseCount.ShouldBe(0);

        var first = response.Css("p");
        var second = response.Css("div").Css("p::text");
        _ = response.Css("p")[0].Css("::text");

        response.ParseCount.ShouldBe(1);
        first[0].Node.Owner.ShouldBeSameAs(response.Document);
        second[0].Node.Owner.ShouldBeSameAs(response.Document);
    }

    [Fact]
    public void Html_ParsedOnceWhenManyThreadsAskAtOnce()
    {
        var response = TestResponses.Html(string.Concat(Enumerable.Repeat("<p>x</p>", 2000)));
        using var start = new Barrier(8);

        var counts = new int[8];
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            counts[i] = response.Css("p").Count;
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        counts.ShouldAllBe(c => c == 2000);
        response.ParseCount.ShouldBe(1);
    }

    [Fact]
    public void Text_IsDecodedOnceAndReused()
    {
        var response = TestResponses.Html("<p>héllo</p>");

        response.Text.ShouldBeSameAs(response.Text);
        response.Text.ShouldBe("<p>héllo</p>");
    }

    [Fact]
    public void Parsing_DoesNotFetchOrRunAnything()
    {
        // A base, stylesheet, script and iframe would all be fetched by a browsing context with a loader.
        var response = TestResponses.Html("""
            <html><head><link rel=stylesheet href="http://127.0.0.1:9/x.css"><script src="http://127.0.0.1:9/x.js"></script>
            <script>document.write('<p id=written>x</p>')</script></head>
            <body><iframe src="http://127.0.0.1:9/frame"></iframe><noscript><p id=ns>shown</p></noscript></body></html>
            """);

        response.Css("#written").Count.ShouldBe(0);
        response.Css("noscript p#ns::text").Get().ShouldBe("shown");
        response.Css("iframe")[0].Css("*").Count.ShouldBe(1);
    }
}
