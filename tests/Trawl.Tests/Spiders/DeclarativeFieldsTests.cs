using System.Text.Json.Nodes;
using Trawl.Http;
using Trawl.Spiders.Declarative;
using Trawl.Tests.Http;
using Trawl.Tests.Selectors;

namespace Trawl.Tests.Spiders;

/// <summary>
/// The declarative spider's <c>--field</c>s are read while tokenizing the page when they and the page allow it, and
/// from the parsed page otherwise; the item is the same either way.
/// </summary>
public sealed class DeclarativeFieldsTests
{
    private static readonly Dictionary<string, string> Fields = new()
    {
        ["title"] = "title::text",
        ["author"] = "div.quote small.author::text",
        ["next"] = "li.next a::attr(href)",
        ["tags"] = "div.tags ::text",
        ["missing"] = "h2::text",
    };

    [Fact]
    public async Task Fields_OnAnOrdinaryPage_AreReadWithoutParsingIt()
    {
        var response = TestResponses.Html(QuotesPage.Html);

        var (item, requests) = await ParseAsync(Fields, response);

        response.ParseCount.ShouldBe(0);
        ShouldBeTheParsersValues(item, Fields, QuotesPage.Html);
        item["author"]!.GetValue<string>().ShouldBe("Albert Einstein");
        item["missing"].ShouldBeNull();
        requests.ShouldContain(request => request.Url.AbsolutePath == "/page/2/");
    }

    [Fact]
    public async Task Fields_OnAPageTheStreamCannotRead_AreTheParsersValues()
    {
        const string Html = "<title> T </title><table><tr><td><li class=next><a href=/in-table>n</a></td></tr></table>";
        var response = TestResponses.Html(Html);

        var (item, _) = await ParseAsync(Fields, response);

        response.ParseCount.ShouldBe(1);
        ShouldBeTheParsersValues(item, Fields, Html);
        item["next"]!.GetValue<string>().ShouldBe("/in-table");
    }

    [Fact]
    public async Task AFieldThatSelectsElements_IsReadFromTheParsedPage()
    {
        var fields = new Dictionary<string, string> { ["title"] = "title::text", ["quote"] = "div.quote span.text" };
        var response = TestResponses.Html(QuotesPage.Html);

        var (item, _) = await ParseAsync(fields, response);

        response.ParseCount.ShouldBe(1);
        ShouldBeTheParsersValues(item, fields, QuotesPage.Html);
        item["quote"]!.GetValue<string>().ShouldStartWith("<span class=\"text\"");
    }

    [Fact]
    public async Task Fields_OfAResponseThatIsNotHtml_AreNull()
    {
        var response = TestResponses.Html("{\"title\": 1}", contentType: "application/json");

        var (item, requests) = await ParseAsync(Fields, response);

        Fields.Keys.ShouldAllBe(name => item[name] == null);
        requests.ShouldBeEmpty();
    }

    private static async Task<(JsonObject Item, List<Request> Requests)> ParseAsync(Dictionary<string, string> fields, Response response)
    {
        var definition = new DeclarativeSpiderDefinition { Name = "fields", Start = ["https://quotes.example/"] };
        foreach (var (name, query) in fields)
        {
            definition.Fields[name] = query;
        }

        var output = new List<object>();
        await foreach (var result in new DeclarativeSpider(definition).ParseAsync(response, CancellationToken.None))
        {
            output.Add(result);
        }

        return (output.OfType<JsonObject>().Single(), output.OfType<Request>().ToList());
    }

    private static void ShouldBeTheParsersValues(JsonObject item, Dictionary<string, string> fields, string html)
    {
        var parsed = TestResponses.Html(html);
        foreach (var (name, query) in fields)
        {
            item[name]?.GetValue<string>().ShouldBe(parsed.Css(query).Get()?.Trim(), name);
            if (item[name] is null)
            {
                parsed.Css(query).Get().ShouldBeNull(name);
            }
        }
    }
}
