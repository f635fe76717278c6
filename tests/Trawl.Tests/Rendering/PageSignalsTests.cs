using Trawl.Rendering;
using Trawl.Tests.Http;

namespace Trawl.Tests.Rendering;

public sealed class PageSignalsTests
{
    [Fact]
    public void AppShell_WithAScriptAndNoText_LooksLikeOne()
    {
        var shell = TestResponses.Html("<!DOCTYPE html><html><head><title>App</title></head><body><div id=\"app\">Loading…</div><script src=\"/app.js\"></script></body></html>");

        var signals = PageSignals.Of(shell);

        signals.Scripts.ShouldBe(1);
        signals.Links.ShouldBe(0);
        signals.Text.ShouldBe("Loading…".Length, "the title and the script are not visible text");
        signals.LooksLikeAppShell.ShouldBeTrue();
    }

    [Fact]
    public void PageWithText_OrWithoutScript_IsNoShell()
    {
        var article = "<p>" + string.Join(' ', Enumerable.Repeat("Plenty of text here.", 20)) + "</p>";
        PageSignals.Of(TestResponses.Html($"<html><body>{article}<script>track()</script></body></html>")).LooksLikeAppShell.ShouldBeFalse("it has text of its own");
        PageSignals.Of(TestResponses.Html("<html><body><p>Short.</p><a href=\"/a\">a</a></body></html>")).LooksLikeAppShell.ShouldBeFalse("no script could fill it");
    }

    [Fact]
    public void TextOfNoscriptAndTemplate_IsNotVisible_AndNotHtmlIsNothing()
    {
        var noscript = "<noscript>" + new string('x', 500) + "</noscript>";
        PageSignals.Of(TestResponses.Html($"<html><body>{noscript}<template><p>{new string('y', 500)}</p></template><script></script></body></html>")).LooksLikeAppShell.ShouldBeTrue();
        PageSignals.Of(TestResponses.Html("{\"a\":1}", contentType: "application/json")).ShouldBe(default);
    }

    [Fact]
    public void Text_IsCountedInCharacters_NotInTheBytesOfTheUtf8Page()
    {
        var page = TestResponses.Html("<html><body><p>" + string.Concat(Enumerable.Repeat("日本 ", 60)) + "</p><script></script></body></html>");

        var signals = PageSignals.Of(page);

        signals.Text.ShouldBe(120);
        signals.LooksLikeAppShell.ShouldBeTrue("120 characters are under the limit, though they take 360 bytes");
        page.DecodeCount.ShouldBe(0);
    }

    [Fact]
    public void Improves_WhenRenderingAddsLinksOrMuchText()
    {
        var plain = new PageSignals(Scripts: 1, Text: 100, Links: 2);

        PageSignals.Improves(plain, plain with { Links = 3 }).ShouldBeTrue();
        PageSignals.Improves(plain, plain with { Text = 151 }).ShouldBeTrue();
        PageSignals.Improves(plain, plain with { Text = 150 }).ShouldBeFalse("a few characters more is a clock or a counter, not content");
        PageSignals.Improves(plain, plain).ShouldBeFalse();
    }
}
