using System.Text;
using Trawl.Http;

namespace Trawl.Tests.Http;

public sealed class ResponseEncodingTests
{
    // "Привет, мир" in windows-1251.
    private static readonly byte[] PrivetMir1251 = [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, 0x2C, 0x20, 0xEC, 0xE8, 0xF0];

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void Windows1251_DeclaredOnlyInMetaCharset_Decodes()
    {
        var body = Concat(Ascii("<html><head><meta charset=\"windows-1251\"><title>"), PrivetMir1251, Ascii("</title></head><body><p>"), PrivetMir1251, Ascii("</p></body></html>"));

        var response = TestResponses.Bytes(body, contentType: "text/html");

        response.Encoding.CodePage.ShouldBe(1251);
        response.Css("title::text").Get().ShouldBe("Привет, мир");
        response.Css("p::text").Get().ShouldBe("Привет, мир");
    }

    [Fact]
    public void Windows1251_DeclaredInHttpEquivContent_Decodes()
    {
        var body = Concat(Ascii("<!-- <meta charset=utf-8> in a comment is ignored --><meta http-equiv='Content-Type' content='text/html; charset=cp1251'><p>"), PrivetMir1251, Ascii("</p>"));

        var response = TestResponses.Bytes(body, contentType: "text/html");

        response.Encoding.CodePage.ShouldBe(1251);
        response.Css("p::text").Get().ShouldBe("Привет, мир");
    }

    [Fact]
    public void ContentWithoutHttpEquiv_IsIgnored()
    {
        var body = Concat(Ascii("<meta name=description content='charset=windows-1251'><p>"), PrivetMir1251, Ascii("</p>"));

        TestResponses.Bytes(body, contentType: "text/html").Encoding.WebName.ShouldBe("utf-8");
    }

    [Fact]
    public void Iso88591Label_MeansWindows1252_AsInBrowsers()
    {
        // 0x80 is the euro sign in windows-1252 and a C1 control in real ISO-8859-1.
        var body = Concat(Ascii("<meta charset=ISO-8859-1><p>caf"), [0xE9, 0x20, 0x80], Ascii("</p>"));

        var response = TestResponses.Bytes(body, contentType: "text/html");

        response.Encoding.CodePage.ShouldBe(1252);
        response.Css("p::text").Get().ShouldBe("café €");
    }

    [Fact]
    public void HeaderCharset_WinsOverMeta()
    {
        var body = Concat(Ascii("<meta charset=utf-8><p>"), PrivetMir1251, Ascii("</p>"));

        var response = TestResponses.Bytes(body, contentType: "text/html; charset=windows-1251");

        response.Encoding.CodePage.ShouldBe(1251);
        response.Css("p::text").Get().ShouldBe("Привет, мир");
    }

    [Fact]
    public void Bom_WinsOverMetaAndHeader_AndIsNotPartOfTheText()
    {
        var body = Concat([0xEF, 0xBB, 0xBF], Encoding.UTF8.GetBytes("<meta charset=windows-1251><p>Привет</p>"));

        var response = TestResponses.Bytes(body, contentType: "text/html; charset=windows-1251");

        response.Encoding.WebName.ShouldBe("utf-8");
        response.Text.ShouldStartWith("<meta");
        response.Css("p::text").Get().ShouldBe("Привет");
    }

    [Fact]
    public void Utf16Bom_IsHonoured()
    {
        var body = Concat([0xFF, 0xFE], Encoding.Unicode.GetBytes("<p>日本語</p>"));

        var response = TestResponses.Bytes(body, contentType: "text/html");

        response.Encoding.WebName.ShouldBe("utf-16");
        response.Css("p::text").Get().ShouldBe("日本語");
    }

    [Fact]
    public void ShiftJisAndGbk_DeclaredInHeader_Decode()
    {
        // "日本" in Shift_JIS and "中文" in GBK.
        var sjis = TestResponses.Bytes(Concat(Ascii("<p>"), [0x93, 0xFA, 0x96, 0x7B], Ascii("</p>")), contentType: "text/html; charset=Shift_JIS");
        var gbk = TestResponses.Bytes(Concat(Ascii("<p>"), [0xD6, 0xD0, 0xCE, 0xC4], Ascii("</p>")), contentType: "text/html; charset=gb2312");

        sjis.Css("p::text").Get().ShouldBe("日本");
        gbk.Css("p::text").Get().ShouldBe("中文");
    }

    [Theory]
    [InlineData("text/html; charset=klingon")]
    [InlineData("text/html; charset=")]
    [InlineData("text/html; charset=\"\"")]
    [InlineData("text/html; charset=utf-7")]
    [InlineData("text/html; charset=x-user-defined-but-longer-than-anything-sensible-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public void UnknownOrUnsafeLabel_FallsBackToUtf8WithoutThrowing(string contentType)
    {
        var response = TestResponses.Bytes(Encoding.UTF8.GetBytes("<p>héllo +AGEAYgBj-</p>"), contentType: contentType);

        response.Encoding.WebName.ShouldBe("utf-8");
        response.Css("p::text").Get().ShouldBe("héllo +AGEAYgBj-");
    }

    [Fact]
    public void UnknownHeaderLabel_FallsThroughToMeta()
    {
        var body = Concat(Ascii("<meta charset=windows-1251><p>"), PrivetMir1251, Ascii("</p>"));

        TestResponses.Bytes(body, contentType: "text/html; charset=bogus").Css("p::text").Get().ShouldBe("Привет, мир");
    }

    [Fact]
    public void UnknownMetaLabel_FallsBackToUtf8()
    {
        var response = TestResponses.Bytes(Encoding.UTF8.GetBytes("<meta charset=no-such-thing><p>ü</p>"), contentType: "text/html");

        response.Encoding.WebName.ShouldBe("utf-8");
        response.Css("p::text").Get().ShouldBe("ü");
    }

    [Fact]
    public void MetaDeclaringUtf16_IsReadAsUtf8()
    {
        var response = TestResponses.Bytes(Encoding.UTF8.GetBytes("<meta charset=utf-16><p>ü</p>"), contentType: "text/html");

        response.Encoding.WebName.ShouldBe("utf-8");
    }

    [Fact]
    public void MetaAfterThePrescanWindow_IsNotSeen()
    {
        var body = Concat(Ascii("<p>" + new string('x', Charsets.PrescanLength) + "</p><meta charset=windows-1251>"));

        TestResponses.Bytes(body, contentType: "text/html").Encoding.WebName.ShouldBe("utf-8");
    }

    [Fact]
    public void MetaInsideAnAttributeValue_IsNotMisread()
    {
        var body = Concat(Ascii("<div title='<meta charset=windows-1251>'><p>"), Encoding.UTF8.GetBytes("ü"), Ascii("</p>"));

        TestResponses.Bytes(body, contentType: "text/html").Css("p::text").Get().ShouldBe("ü");
    }

    [Fact]
    public void InvalidUtf8_BecomesReplacementCharacters()
    {
        var response = TestResponses.Bytes(Concat(Ascii("<p>a"), [0xC3, 0x28, 0xFF], Ascii("b</p>")), contentType: "text/html; charset=utf-8");

        response.Css("p::text").Get().ShouldBe("a\uFFFD(\uFFFDb");
    }

    [Fact]
    public void NonHtml_DoesNotSniffMeta()
    {
        var body = Concat(Ascii("<meta charset=windows-1251> "), Encoding.UTF8.GetBytes("ü"));

        TestResponses.Bytes(body, contentType: "text/plain").Text.ShouldEndWith("ü");
    }

    [Fact]
    public void RandomBytesAndLabels_NeverThrow()
    {
        var random = new Random(1251);
        string?[] labels = [null, "utf-8", "windows-1251", "shift_jis", "gbk", "euc-kr", "big5", "utf-16be", "iso-2022-jp", "bogus", "\u0000", "utf-32"];
        for (var i = 0; i < 500; i++)
        {
            var body = new byte[random.Next(0, 300)];
            random.NextBytes(body);
            var label = labels[random.Next(labels.Length)];
            var response = TestResponses.Bytes(body, contentType: label is null ? "text/html" : $"text/html; charset={label}");

            Should.NotThrow(() => response.Css("*").Count, $"case {i}, label {label}, body {Convert.ToHexString(body)}");
        }
    }
}
