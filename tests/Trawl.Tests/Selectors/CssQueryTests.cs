using Trawl.Selectors;
using Trawl.Tests.Http;

namespace Trawl.Tests.Selectors;

public sealed class CssQueryTests
{
    [Theory]
    [InlineData("a[href", "'[' at character 2 is never closed")]
    [InlineData("p:not(.a", "'(' at character 6 is never closed")]
    [InlineData("a]", "']' at character 2 has no matching '['")]
    [InlineData("a[title='x]", "never closed with '")]
    [InlineData("", "the query is empty")]
    [InlineData("   ", "the query is empty")]
    [InlineData("a,", "empty")]
    [InlineData("a,,b", "empty")]
    [InlineData("div >", "ends with the combinator '>'")]
    [InlineData("div:frobnicate", "':frobnicate' is not a valid selector (check the pseudo-class")]
    [InlineData("div span:text", "two colons")]
    [InlineData("#1a", "cannot start with a digit")]
    [InlineData("a + + b", "combinators")]
    [InlineData("a::before", "'::before' is not supported")]
    [InlineData("a::text b", "::text must end its selector, but 'b' follows it")]
    [InlineData("a::text(x)", "::text takes no argument")]
    [InlineData("a::attr", "::attr needs an attribute name")]
    [InlineData("a::attr()", "needs an attribute name")]
    [InlineData("a::attr(x y)", "is not an attribute name")]
    [InlineData("a::attr(href)::text", "::attr(...) must end its selector")]
    [InlineData("p:not(::text)", "inside brackets")]
    [InlineData("a\\", "backslash")]
    public void Parse_BadSyntax_ThrowsWithTheQueryAndTheReason(string query, string reason)
    {
        var ex = Should.Throw<SelectorSyntaxException>(() => CssQuery.Parse(query));

        ex.Query.ShouldBe(query);
        ex.Message.ShouldContain($"'{query}'");
        ex.Message.ShouldContain(reason);
        ex.ShouldBeAssignableTo<ArgumentException>();
    }

    [Fact]
    public void Css_BadSyntax_ThrowsSelectorSyntaxException()
    {
        var response = TestResponses.Html("<p>x</p>");

        Should.Throw<SelectorSyntaxException>(() => response.Css("p[")).Query.ShouldBe("p[");
        Should.Throw<SelectorSyntaxException>(() => response.Css("p")[0].Css("::nope"));
    }

    [Theory]
    [InlineData("div.quote")]
    [InlineData("li.next a::attr(href)")]
    [InlineData("div.tags ::text")]
    [InlineData("h1::text, h2::text")]
    [InlineData("> td")]
    [InlineData("a[href^='http'], a[data-x=\"a,b\"]")]
    [InlineData("li:nth-child(2n+1) > a:not(.skip)")]
    [InlineData("a\\:b")]
    public void Validate_GoodQueries_DoesNotThrow(string query)
    {
        Should.NotThrow(() => CssQuery.Validate(query));
    }

    [Fact]
    public void Parse_SameQuery_ReturnsTheCachedInstance()
    {
        var query = "section.cache-test > p::text";

        CssQuery.Parse(query).ShouldBeSameAs(CssQuery.Parse(query));
        CssQuery.Parse(query).Text.ShouldBe(query);
        CssQuery.Parse(query).ToString().ShouldBe(query);
    }

    [Fact]
    public void Parse_ManyDistinctQueries_KeepsWorking()
    {
        for (var i = 0; i < CssQuery.CacheCapacity * 2 + 10; i++)
        {
            CssQuery.Parse($"p.generated-{i}").Text.ShouldBe($"p.generated-{i}");
        }
    }

    [Fact]
    public void SelectsElements_IsFalseWhenAnyGroupSelectsStrings()
    {
        CssQuery.Parse("a, b").SelectsElements.ShouldBeTrue();
        CssQuery.Parse("a, b::text").SelectsElements.ShouldBeFalse();
        CssQuery.Parse("a::attr(href)").SelectsElements.ShouldBeFalse();
    }

    [Fact]
    public void ParsedQuery_CanBeReusedAcrossResponses()
    {
        var query = CssQuery.Parse("b::text");

        TestResponses.Html("<b>1</b>").Css(query).Get().ShouldBe("1");
        TestResponses.Html("<b>2</b>").Css(query).Get().ShouldBe("2");
        TestResponses.Html("<i><b>3</b></i>").Css("i")[0].Css(query).Get().ShouldBe("3");
    }

    [Fact]
    public void PseudoElementNames_AreCaseInsensitive()
    {
        TestResponses.Html("<a href=/x>t</a>").Css("a::TEXT, a::Attr(href)").GetAll().ShouldBe(["/x", "t"]);
    }
}
