using System.Text;
using Trawl.Html;
using Trawl.Http;
using Trawl.Selectors;
using Trawl.Tests.Http;

namespace Trawl.Tests.Html;

/// <summary>
/// The fast paths read a page from its UTF-8 bytes: they must give what the parser gives on the decoded text, whatever
/// the bytes hold (characters of several bytes anywhere, invalid sequences next to markup and inside values, a BOM),
/// and must not decode the page to text to do it. Pages in other encodings are transcoded and give the same answers.
/// </summary>
public sealed class Utf8TokenizingTests
{
    private static readonly string[] FieldQueries =
    [
        "title::text", "p::text", "div::attr(class)", "[id]::attr(id)", "span::text", "p::attr(class)", "[title]::attr(title)",
        "a::attr(href)", "div > ::text", "::attr(title)", "textarea::text", "script::text", "p.x::text",
    ];

    // Markup (as C# strings with \x escapes read as raw bytes by Bytes below) with characters of several bytes and
    // invalid UTF-8 in text, attribute values, tag and attribute names, and between markup.
    public static TheoryData<string> Pages { get; } = new()
    {
        // Characters of two, three and four bytes, as UTF-8.
        "<title>Café ☕ 𝄞 日本語</title><p class=x>naïve — “quoted” €5</p>",
        "<div class=\"é ü\" id=ñ title='日本'><span class=é>accent class</span></div>",
        "<café-x data-ü=\"wert ü\">custom ☕ element</café-x><p ü=1 Ü=2 data-ü=3>names differ by non-ASCII case</p>",
        "<DIV data-Ü=x><p>日本</p></div><a href=\"/wiki/Café?q=日本#ü\">link</a>",
        "<textarea>\n☕ &amp; ü</textarea><script>var s = \"日本 </scrip\";</script><p>after</p>",

        // Invalid UTF-8: lone continuation bytes, truncated sequences, overlongs, encoded surrogates, bytes never valid.
        "<p>\\x80<b>x</b>\\xBF</p>\\xC3<p>\\xE2\\x82</p>\\xF0\\x9F\\x98<div>x</div>",
        "<title>\\xC0\\xAF\\xE0\\x80\\xAF\\xED\\xA0\\x80\\xFF\\xFE</title><p class=x>a\\xC3b\\xE2\\x82\\xACc</p>",
        "<a href=\"/x\\xC3\">t</a><a href='/\\xE2\\x82'>u</a><a href=/\\xFF\\x80>v</a><div class=\"a\\xFF b\" id=\\xC0\\xAF>w</div>",
        "<div \\xFE=1 \\xFF=2 title=\\xFE>two names that decode alike</div><p \\xC3=1 \\xC3\\xA9=2 title=z>y</p>",
        "<x\\xFE>a</x\\xFF>b<y\\xC3>c</y\\xC3\\xA9>d<p\\x80 class=x>e</p\\x80>",
        "<p class=x>text\\xE2</p>\\xE2<p>\\xE2&amp;\\xF0&#x41;\\xC3</p><textarea>\\xC3\r\n</textarea><pre>\\x80\nx</pre>",
        "\\x80\\x81<!-- \\xFF --><!DOCTYPE html\\xC3><html\\xFE><p>x</p>",
    };

    [Fact]
    public void TheFieldsOfTheseTests_Stream()
    {
        FieldPlan.Create(FieldQueries.Select(query => new FieldQuery(CssQuery.Parse(query)))).CanStream.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void TreeFromBytes_IsTheParsersTreeOfTheDecodedText(string page)
    {
        var bytes = Bytes(page);

        var streamed = HtmlTreeReaderTests.Streamed(bytes, out var gaveUp);

        gaveUp.ShouldBeFalse();
        streamed.ShouldBe(HtmlTreeReaderTests.Parsed(Encoding.UTF8.GetString(bytes)));
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void FieldsAndLinks_FromBytes_AreTheDocumentsValues_WithoutDecodingThePage(string page)
    {
        var bytes = Bytes(page);
        var plan = FieldPlan.Create(FieldQueries.Select(query => new FieldQuery(CssQuery.Parse(query), AllMatches: true)));
        var fast = TestResponses.Bytes(bytes, contentType: "text/html; charset=utf-8");
        var dom = TestResponses.Bytes(bytes, contentType: "text/html; charset=utf-8");

        fast.TryExtract(plan, out var values).ShouldBeTrue();
        var links = fast.Links();

        values!.Streamed.ShouldBeTrue();
        fast.ParseCount.ShouldBe(0);
        fast.DecodeCount.ShouldBe(0);
        for (var i = 0; i < FieldQueries.Length; i++)
        {
            values.All(i).ShouldBe(dom.Css(FieldQueries[i]).GetAll(), FieldQueries[i]);
        }

        links.ShouldBe(dom.Links());
        fast.BaseUrl.ShouldBe(dom.BaseUrl);
    }

    [Fact]
    public void ByteOrderMark_IsSkipped_AsTextSkipsIt()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("<title>BOM ☕</title><base href=/b/><a href=x>é</a>")];
        var plan = FieldPlan.FirstMatches("title::text", "a::text");
        var fast = TestResponses.Bytes(bytes, contentType: "text/html");

        fast.TryExtract(plan, out var values).ShouldBeTrue();

        values!.Streamed.ShouldBeTrue();
        values[0].ShouldBe("BOM ☕");
        values[1].ShouldBe("é");
        fast.Links().ShouldBe([new Uri("https://quotes.example/b/x")]);
        fast.DecodeCount.ShouldBe(0);
        fast.ParseCount.ShouldBe(0);
        var dom = TestResponses.Bytes(bytes, contentType: "text/html");
        values[0].ShouldBe(dom.Css("title::text").Get());
        fast.Links().ShouldBe(dom.Links());
    }

    [Theory]
    [InlineData("windows-1252", "<title>Café – “quoted” €5</title><p class=x>naïve ÿ œ</p><a href=\"/é?q=€\">link</a>")]
    [InlineData("shift_jis", "<title>日本語のページ</title><p class=x>こんにちは、世界 ｱｲｳ</p><a href=\"/検索?q=東京\">リンク</a>")]
    public void PagesInOtherEncodings_AreTranscoded_AndGiveTheDocumentsValues(string charset, string html)
    {
        var encoding = Charsets.FromLabel(charset).ShouldNotBeNull();
        var bytes = encoding.GetBytes(html);
        var contentType = $"text/html; charset={charset}";
        var plan = FieldPlan.Create(FieldQueries.Select(query => new FieldQuery(CssQuery.Parse(query), AllMatches: true)));
        var fast = TestResponses.Bytes(bytes, contentType: contentType);
        var dom = TestResponses.Bytes(bytes, contentType: contentType);

        fast.TryExtract(plan, out var values).ShouldBeTrue();
        var links = fast.Links();

        values!.Streamed.ShouldBeTrue();
        fast.ParseCount.ShouldBe(0);
        for (var i = 0; i < FieldQueries.Length; i++)
        {
            values.All(i).ShouldBe(dom.Css(FieldQueries[i]).GetAll(), FieldQueries[i]);
        }

        links.ShouldBe(dom.Links());
        links.Count.ShouldBe(1);
        values.All(0).ShouldBe([html[7..html.IndexOf("</title>", StringComparison.Ordinal)]]);
    }

    [Fact]
    public void TheDocumentFallback_DecodesTheText()
    {
        var fast = TestResponses.Html("<title>☕</title><table><tr><td>cell</td></tr></table>");

        fast.TryExtract(FieldPlan.FirstMatches("title::text", "td::text"), out var values).ShouldBeTrue();

        values!.Streamed.ShouldBeFalse();
        values[1].ShouldBe("cell");
        fast.ParseCount.ShouldBe(1);
        fast.DecodeCount.ShouldBe(1);
    }

    [Fact]
    public void LongTexts_DecodedInParts_AreTheParsersText()
    {
        // Longer than the part the tokenizer decodes at once, with characters of several bytes, references, CR LF and
        // invalid bytes wherever a part may end.
        var pieces = new[] { "é", "€", "𝄞", " ", "\r\n", "\r", "&amp;", "&#x41;", "& ", " & ", "\t", "x", "日本", "\\xC3", "\\x80", "\\xE2\\x82" };
        var random = new Random(20261204);
        var pages = new List<byte[]>();
        foreach (var wrap in (string[])["<p>{0}</p>", "<textarea>{0}</textarea>", "<script>{0}</script>", "<p title=\"{0}\">x</p>"])
        {
            foreach (var spaces in (bool[])[true, false])
            {
                var text = new StringBuilder();
                while (text.Length < 60_000)
                {
                    var piece = pieces[random.Next(pieces.Length)];
                    text.Append(!spaces && piece.Any(char.IsWhiteSpace) ? "é" : piece);
                }

                pages.Add(Bytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, wrap, text)));
            }
        }

        foreach (var bytes in pages)
        {
            var streamed = HtmlTreeReaderTests.Streamed(bytes, out var gaveUp);
            gaveUp.ShouldBeFalse();
            streamed.ShouldBe(HtmlTreeReaderTests.Parsed(Encoding.UTF8.GetString(bytes)));
        }
    }

    [Fact]
    public void RandomPages_WithBytesOfEveryKindInserted_GiveTheParsersTree_OrGiveUp()
    {
        byte[][] insertions =
        [
            "é"u8.ToArray(), "€"u8.ToArray(), "𝄞"u8.ToArray(), "日"u8.ToArray(), [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xFF], [0xFE], [0xEF, 0xBB, 0xBF],
        ];
        var random = new Random(20261205);
        var modelled = 0;
        var count = 0;
        foreach (var html in RandomHtml.Pages(seed: 8675309, count: 1500))
        {
            count++;
            var bytes = new List<byte>(Encoding.UTF8.GetBytes(html));
            for (var n = random.Next(1, 8); n > 0; n--)
            {
                bytes.InsertRange(random.Next(bytes.Count + 1), insertions[random.Next(insertions.Length)]);
            }

            var page = bytes.ToArray();
            var streamed = HtmlTreeReaderTests.Streamed(page, out var gaveUp);
            if (!gaveUp)
            {
                var decoded = Encoding.UTF8.GetString(page);
                streamed.ShouldBe(HtmlTreeReaderTests.Parsed(decoded), decoded);
                modelled++;
            }
        }

        modelled.ShouldBeGreaterThan(count / 5);
    }

    [Fact]
    public void AStringWithALoneSurrogate_GoesToTheParser()
    {
        var html = "<title>a\uD800b</title>";

        FieldPlan.FirstMatches("title::text").TryStream(html, out _).ShouldBeNull();
    }

    // The page's bytes: the string's characters as UTF-8, except that "\xNN" (a backslash, x, two hex digits) is the byte NN.
    internal static byte[] Bytes(string page)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < page.Length; i++)
        {
            if (page[i] == '\\' && i + 3 < page.Length && page[i + 1] == 'x' && Uri.IsHexDigit(page[i + 2]) && Uri.IsHexDigit(page[i + 3]))
            {
                bytes.Add(Convert.ToByte(page.Substring(i + 2, 2), 16));
                i += 3;
                continue;
            }

            var length = char.IsHighSurrogate(page[i]) ? 2 : 1;
            bytes.AddRange(Encoding.UTF8.GetBytes(page.Substring(i, length)));
            i += length - 1;
        }

        return [.. bytes];
    }
}
