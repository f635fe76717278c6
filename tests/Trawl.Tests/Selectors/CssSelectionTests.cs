using Trawl.Selectors;
using Trawl.Tests.Http;

namespace Trawl.Tests.Selectors;

public sealed class CssSelectionTests
{
    private static readonly Trawl.Http.Response Quotes = TestResponses.Html(QuotesPage.Html);

    [Fact]
    public void Css_QuotesPage_SelectsEveryQuoteInDocumentOrder()
    {
        var quotes = Quotes.Css("div.quote");

        quotes.Count.ShouldBe(3);
        quotes.All(q => q.IsElement).ShouldBeTrue();
        quotes[0].Get().ShouldStartWith("<div class=\"quote\"");
    }

    [Fact]
    public void Css_NestedQueries_ReadEachQuotesOwnFields()
    {
        var items = Quotes.Css("div.quote")
            .Select(q => (Text: q.Css("span.text::text").Get(), Author: q.Css("small.author::text").Get(), Tags: q.Css("div.tags a.tag::text").GetAll()))
            .ToList();

        items.Select(i => i.Author).ShouldBe(["Albert Einstein", "J.K. Rowling", "Steve Martin"]);
        items[0].Text.ShouldBe("“The world as we have created it is a process of our thinking.”");
        items[0].Tags.ShouldBe(["change", "deep-thoughts", "thinking", "world"]);
        items[1].Tags.ShouldBe(["abilities", "choices"]);
        items[2].Tags.ShouldBeEmpty();
    }

    [Fact]
    public void Css_AttrOnPagerLink_GivesTheRawHref()
    {
        Quotes.Css("li.next a::attr(href)").Get().ShouldBe("/page/2/");
        Quotes.Css("li.next a").Attrib("href").ShouldBe("/page/2/");
    }

    [Fact]
    public void Css_ListCss_ConcatenatesResultsOfEveryItem()
    {
        Quotes.Css("div.quote").Css("small.author::text").GetAll()
            .ShouldBe(["Albert Einstein", "J.K. Rowling", "Steve Martin"]);
    }

    [Fact]
    public void Text_DirectChildTextNodesOnly()
    {
        var response = TestResponses.Html("<p>a<b>x</b>c</p>");

        response.Css("p::text").GetAll().ShouldBe(["a", "c"]);
    }

    [Fact]
    public void Text_DescendantForm_GivesEveryTextNodeUnderTheMatch()
    {
        var response = TestResponses.Html("<div class=tags>Tags: <a>one</a> <a>two <i>deep</i></a></div><a>outside</a>");

        response.Css("div.tags ::text").GetAll().ShouldBe(["Tags: ", "one", " ", "two ", "deep"]);
        response.Css("div.tags *::text").GetAll().ShouldBe(["Tags: ", "one", " ", "two ", "deep"]);
    }

    [Fact]
    public void Text_ChildCombinatorWithUniversal_IsNotTheDescendantForm()
    {
        var response = TestResponses.Html("<div>top<a>one<i>deep</i></a></div>");

        response.Css("div > *::text").GetAll().ShouldBe(["one"]);
        response.Css("div > ::text").GetAll().ShouldBe(["one"]);
    }

    [Fact]
    public void Text_NestedMatchesAreNotRepeated()
    {
        var response = TestResponses.Html("<div>a<div>b</div>c</div>");

        response.Css("div ::text").GetAll().ShouldBe(["a", "b", "c"]);
    }

    [Fact]
    public void Text_BareInsideSelector_GivesAllTextOfThatElement()
    {
        var link = TestResponses.Html("<p>x<a href='/n'>Next <span>→</span></a>y</p>").Css("a")[0];

        link.Css("::text").GetAll().ShouldBe(["Next ", "→"]);
        link.Css("*::text").GetAll().ShouldBe(["Next ", "→"]);
        link.Text.ShouldBe("Next →");
    }

    [Fact]
    public void Text_KeepsWhitespaceAndDecodesEntities()
    {
        var response = TestResponses.Html("<p>\n  Fish &amp; chips&nbsp;&copy;  </p>");

        response.Css("p::text").Get().ShouldBe("\n  Fish & chips\u00a0©  ");
    }

    [Fact]
    public void Attr_ElementsWithoutTheAttributeProduceNothing()
    {
        var response = TestResponses.Html("<a href='/1'>1</a><a name='x'>no href</a><a href=''>empty</a><a href>bare</a>");

        response.Css("a::attr(href)").GetAll().ShouldBe(["/1", "", ""]);
        response.Css("a::attr(title)").GetAll().ShouldBeEmpty();
        response.Css("a::attr(title)").Get().ShouldBeNull();
        response.Css("a::attr(title)").Get("none").ShouldBe("none");
    }

    [Fact]
    public void Attr_NameMayBeQuotedAndIsCaseInsensitiveInHtml()
    {
        var response = TestResponses.Html("<a HREF='/1' data-id=7>1</a>");

        response.Css("a::attr('href')").Get().ShouldBe("/1");
        response.Css("a::attr(HREF)").Get().ShouldBe("/1");
        response.Css("a::attr(data-id)").Get().ShouldBe("7");
    }

    [Fact]
    public void Attr_InsideSelector_ReadsTheElementsOwnAttribute()
    {
        var links = TestResponses.Html("<a href='/1'>1</a><a href='/2'>2</a>").Css("a");

        links.Select(l => l.Css("::attr(href)").Get()).ShouldBe(["/1", "/2"]);
        links[1].Attrib("href").ShouldBe("/2");
        links[1].Attrib("title").ShouldBeNull();
    }

    [Fact]
    public void Attr_DescendantForm_IncludesTheMatchItself()
    {
        var response = TestResponses.Html("<div title=outer><p title=inner><i title=deep></i></p></div><p title=other></p>");

        response.Css("div ::attr(title)").GetAll().ShouldBe(["outer", "inner", "deep"]);
        response.Css("div::attr(title)").GetAll().ShouldBe(["outer"]);
    }

    [Fact]
    public void NestedQuery_MatchesTheElementItselfAsScrapyDoes()
    {
        var quote = Quotes.Css("div.quote")[0];

        quote.Css("div.quote").Count.ShouldBe(1);
        quote.Css("div").Count.ShouldBe(2);
    }

    [Fact]
    public void NestedQuery_LeadingCombinatorIsRelativeToTheElement()
    {
        var table = TestResponses.Html("<table><tr><td>a<table><tr><td>inner</td></tr></table></td><td>b</td></tr></table>").Css("table")[0];
        var row = table.Css("tr")[0];

        row.Css("> td::text").GetAll().ShouldBe(["a", "b"]);
        row.Css("td::text").GetAll().ShouldBe(["a", "inner", "b"]);
    }

    [Fact]
    public void NestedQuery_LeftCombinatorsMayMatchAncestorsOutsideTheElement()
    {
        // As in the DOM's querySelectorAll, and unlike parsel: documented in CssQuery.
        var inner = TestResponses.Html("<section><div id=inner><p>x</p></div></section>").Css("#inner")[0];

        inner.Css("section p::text").Get().ShouldBe("x");
    }

    [Fact]
    public void ListCss_SkipsStringItems()
    {
        var response = TestResponses.Html("<p>a<b>1</b></p>");
        var mixed = response.Css("p::text, p");

        mixed.Css("b::text").GetAll().ShouldBe(["1"]);
    }

    [Fact]
    public void Groups_ComeInDocumentOrderWithoutDuplicates()
    {
        var response = TestResponses.Html("<h2>first</h2><h1>title</h1><h2>second</h2>");

        response.Css("h1::text, h2::text").GetAll().ShouldBe(["first", "title", "second"]);
        response.Css("h1, h2").Select(s => s.Text).ShouldBe(["first", "title", "second"]);
        response.Css("h2::text, h2::text").GetAll().ShouldBe(["first", "second"]);
    }

    [Fact]
    public void Groups_MayMixElementsAndStrings()
    {
        var response = TestResponses.Html("<a href='/x' title='t'>x</a>");

        var mixed = response.Css("a::attr(title), a, a::attr(href), a::text");

        mixed.Select(s => s.IsElement).ShouldBe([true, false, false, false]);
        mixed.GetAll().Skip(1).ShouldBe(["/x", "t", "x"]);
    }

    [Fact]
    public void Groups_CommasInsideStringsAndFunctionsDoNotSplit()
    {
        var response = TestResponses.Html("<p data-x='a,b'>1</p><p class=c>2</p><p>3</p>");

        response.Css("p[data-x='a,b']::text").Get().ShouldBe("1");
        response.Css("p:not(.c, [data-x])::text").GetAll().ShouldBe(["3"]);
    }

    [Fact]
    public void StringSelectors_SelectNothingAndHaveNoAttributes()
    {
        var text = TestResponses.Html("<p>a</p>").Css("p::text")[0];

        text.IsElement.ShouldBeFalse();
        text.Css("p").Count.ShouldBe(0);
        text.Attrib("class").ShouldBeNull();
        text.Text.ShouldBe("a");
        text.ToString().ShouldBe("a");
    }

    [Fact]
    public void GetAll_OnElements_GivesOuterHtml()
    {
        var response = TestResponses.Html("<ul><li class=a>1</li><li>2</li></ul>");

        response.Css("li").GetAll().ShouldBe(["<li class=\"a\">1</li>", "<li>2</li>"]);
    }

    [Fact]
    public void EmptySelection_GetIsNull()
    {
        var none = Quotes.Css("div.nothing");

        none.Count.ShouldBe(0);
        none.Get().ShouldBeNull();
        none.Get("fallback").ShouldBe("fallback");
        none.GetAll().ShouldBeEmpty();
        none.Attrib("href").ShouldBeNull();
        none.Css("a").Count.ShouldBe(0);
    }

    [Fact]
    public void Re_GivesGroupOneWhenPresentElseWholeMatch()
    {
        var response = TestResponses.Html("<p>Price: 12.50 EUR, was 15.00 EUR</p><p>none</p>");
        var prices = response.Css("p::text");

        prices.Re(@"(\d+)\.\d+").ShouldBe(["12", "15"]);
        prices.Re(@"\d+\.\d+").ShouldBe(["12.50", "15.00"]);
        prices.ReFirst(@"was (\d+)").ShouldBe("15");
        prices.ReFirst("absent").ShouldBeNull();
        prices[1].Re(@"\d").ShouldBeEmpty();
        prices[0].ReFirst(@"(\d+) EUR").ShouldBe("50");
    }

    [Fact]
    public void Re_OnElements_MatchesOuterHtml()
    {
        Quotes.Css("li.next").Re("href=\"([^\"]+)\"").ShouldBe(["/page/2/"]);
    }

    [Fact]
    public void Re_BadPattern_ThrowsArgumentException()
    {
        Should.Throw<ArgumentException>(() => Quotes.Css("p").Re("(unclosed"));
    }
}
