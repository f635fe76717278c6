using Trawl.Tests.Http;

namespace Trawl.Tests.Selectors;

/// <summary>Real pages are rarely valid HTML; the parser repairs them as browsers do.</summary>
public sealed class MalformedHtmlTests
{
    [Fact]
    public void UnclosedTags_AreClosedByTheParser()
    {
        var response = TestResponses.Html("<ul><li>one<li>two<li>three</ul><p>para one<p>para two");

        response.Css("li::text").GetAll().ShouldBe(["one", "two", "three"]);
        response.Css("p::text").GetAll().ShouldBe(["para one", "para two"]);
    }

    [Fact]
    public void UnquotedAndValuelessAttributes_AreRead()
    {
        var response = TestResponses.Html("<a href=/next/page class=btn disabled data-x=>go</a>");

        response.Css("a.btn::attr(href)").Get().ShouldBe("/next/page");
        response.Css("a[disabled]").Count.ShouldBe(1);
        response.Css("a::attr(disabled)").Get().ShouldBe(string.Empty);
        response.Css("a::attr(data-x)").Get().ShouldBe(string.Empty);
    }

    [Fact]
    public void StrayClosingTags_AreIgnored()
    {
        var response = TestResponses.Html("<div class=a>one</div></div></span><div class=b>two</div></p>");

        response.Css("div::text").GetAll().ShouldBe(["one", "two"]);
        response.Css("div.b::text").Get().ShouldBe("two");
    }

    [Fact]
    public void MisnestedTags_AreRepaired()
    {
        var response = TestResponses.Html("<p><b>bold <i>both</b> italic</i></p>");

        response.Css("b::text").Get().ShouldBe("bold ");
        response.Css("i::text").GetAll().ShouldBe(["both", " italic"]);
    }

    [Fact]
    public void FragmentWithoutHtmlOrBody_IsAWholeDocument()
    {
        var response = TestResponses.Html("<title>t</title><span>x</span>");

        response.Css("html > head > title::text").Get().ShouldBe("t");
        response.Css("body > span::text").Get().ShouldBe("x");
    }

    [Fact]
    public void DuplicateAttributes_FirstWins()
    {
        var response = TestResponses.Html("<a href=/first href=/second>x</a>");

        response.Css("a::attr(href)").Get().ShouldBe("/first");
    }

    [Fact]
    public void UnterminatedComment_SwallowsTheRest()
    {
        var response = TestResponses.Html("<p>before</p><!-- never closed <p>after</p>");

        response.Css("p::text").GetAll().ShouldBe(["before"]);
    }

    [Fact]
    public void ScriptContents_AreTextNotMarkup()
    {
        var response = TestResponses.Html("<script>var s = '<a href=\"/fake\">x</a>';</script><a href='/real'>r</a>");

        response.Css("a::attr(href)").GetAll().ShouldBe(["/real"]);
        response.Css("script::text").Get().ShouldBe("var s = '<a href=\"/fake\">x</a>';");
    }
}
