using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary><c>trawl parse URL</c>: one page, fields or a spider's callback, one JSON line per item and per request.</summary>
public sealed class ParseCommandTests
{
    [Fact]
    public async Task Parse_WithFields_PrintsTheItem_AndTheLinksItWouldFollow_FetchingOnlyThePage()
    {
        await using var server = await TestSites.StartAsync(pages: 10, quotePages: 1);
        var page = new Uri(server.BaseUrl, "/pages/3").AbsoluteUri;

        var run = await CliRunner.RunAsync("parse", page, "--field", "title=h1::text", "--field", "home=(//a/@href)[1]", "--follow", "//ul//a/@href");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = Lines(run);
        var item = lines[0]["item"].ShouldNotBeNull().AsObject();
        item["url"]!.GetValue<string>().ShouldBe(page);
        item["title"]!.GetValue<string>().ShouldBe("Page 3");
        item["home"]!.GetValue<string>().ShouldBe("/");
        var requests = lines.Skip(1).Select(line => line["request"].ShouldNotBeNull()).ToList();
        requests.Count.ShouldBe(SandboxSite.LinkTargets(new SandboxOptions { Pages = 10, QuotePages = 1, PageSize = 1024, Seed = 7 }, 3).Distinct().Count());
        requests.ShouldAllBe(request => request["callback"]!.GetValue<string>() == "ParseAsync");
        requests.Select(request => request["url"]!.GetValue<string>()).ShouldContain(new Uri(server.BaseUrl, "/pages/4").AbsoluteUri);
        server.TotalRequests.ShouldBe(1);
        run.Error.ShouldContain("200");
    }

    [Fact]
    public async Task Parse_WithACSharpSpider_PrintsItsItems_AndItsRequestsWithTheirCallbacks()
    {
        var options = new SandboxOptions { Pages = 5, QuotePages = 2, PageSize = 1024, Seed = 7 };
        await using var server = await SandboxServer.StartAsync(options);

        var run = await CliRunner.RunAsync("parse", new Uri(server.BaseUrl, "/quotes/page/1/").AbsoluteUri, "--spider", "quotes");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = Lines(run);
        var items = lines.Where(line => line["item"] is not null).Select(line => line["item"]!.AsObject()).ToList();
        var expected = SandboxSite.Quotes(options).Where(quote => quote.Page == 1).ToList();
        items.Select(item => item["Author"]!.GetValue<string>()).ShouldBe(expected.Select(quote => quote.Author));
        items[0]["Text"]!.GetValue<string>().ShouldContain(expected[0].Text);
        var requests = lines.Where(line => line["request"] is not null).Select(line => line["request"]!).ToList();
        requests.ShouldContain(request => request["callback"]!.GetValue<string>() == "ParseAuthorAsync"
            && request["url"]!.GetValue<string>().EndsWith($"/author/{expected[0].AuthorSlug}/", StringComparison.Ordinal));
        requests.ShouldContain(request => request["callback"]!.GetValue<string>() == "ParseAsync"
            && request["url"]!.GetValue<string>().EndsWith("/quotes/page/2/", StringComparison.Ordinal));
        server.TotalRequests.ShouldBe(1);
    }

    [Fact]
    public async Task Parse_LowerA_PassesASpiderArgument_AsScrapyParseDoes()
    {
        var options = new SandboxOptions { Pages = 5, QuotePages = 2, PageSize = 1024, Seed = 7 };
        await using var server = await SandboxServer.StartAsync(options);

        var run = await CliRunner.RunAsync("parse", new Uri(server.BaseUrl, "/quotes/page/1/").AbsoluteUri, "--spider", "quotes", "-a", "Authors=false");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var callbacks = Lines(run).Where(line => line["request"] is not null).Select(line => line["request"]!["callback"]!.GetValue<string>()).ToList();
        callbacks.ShouldContain("ParseAsync");
        callbacks.ShouldNotContain("ParseAuthorAsync", "Authors=false follows no author page");
    }

    [Fact]
    public async Task Parse_LowerA_WithAPattern_OnADeclarativeSpider_SaysToWriteAllow_AndFetchesNothing()
    {
        await using var server = await TestSites.StartAsync(pages: 5);

        var run = await CliRunner.RunAsync("parse", server.BaseUrl.AbsoluteUri, "--field", "title=h1::text", "-a", "/guide/");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var message = run.ErrorLines.ShouldHaveSingleItem();
        message.ShouldContain("Scrapy's -a");
        message.ShouldContain("--allow '/guide/'");
        server.TotalRequests.ShouldBe(0);
    }

    [Fact]
    public async Task Parse_WithACallback_RunsThatMethod()
    {
        var options = new SandboxOptions { Pages = 5, QuotePages = 1, PageSize = 1024, Seed = 7 };
        await using var server = await SandboxServer.StartAsync(options);
        var author = SandboxSite.Authors(options)[0];

        var run = await CliRunner.RunAsync("parse", new Uri(server.BaseUrl, $"/quotes/author/{author.Slug}/").AbsoluteUri, "--spider", "quotes", "--callback", "ParseAuthorAsync");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var item = Lines(run).ShouldHaveSingleItem()["item"].ShouldNotBeNull();
        item["Name"]!.GetValue<string>().ShouldBe(author.Name);
    }

    [Fact]
    public async Task Parse_WithAnUnknownCallback_IsAUsageError_ListingTheSpidersCallbacks_AndFetchesNothing()
    {
        await using var server = await TestSites.StartAsync(pages: 5, quotePages: 1);

        var run = await CliRunner.RunAsync("parse", new Uri(server.BaseUrl, "/quotes/").AbsoluteUri, "--spider", "quotes", "--callback", "ParseAuthor");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var line = run.ErrorLines.ShouldHaveSingleItem();
        line.ShouldContain("ParseAuthor");
        line.ShouldContain("ParseAuthorAsync");
        run.Output.ShouldBeEmpty();
        server.TotalRequests.ShouldBe(0);
    }

    [Theory]
    [InlineData("--spider", "nope")]
    [InlineData("--field", "title=//h1[")]
    [InlineData("--field", "title")]
    [InlineData("--arg", "Authors=false")]
    [InlineData("--render", "sometimes")]
    [InlineData("--render-actions", "[{\"clik\": \"#more\"}]")]
    public async Task Parse_WithBadArguments_IsAUsageError_AndFetchesNothing(string option, string value)
    {
        await using var server = await TestSites.StartAsync(pages: 5);

        var run = await CliRunner.RunAsync("parse", server.BaseUrl.AbsoluteUri, option, value);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem();
        run.Error.ShouldNotContain("   at ");
        server.TotalRequests.ShouldBe(0);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://example.com/")]
    public async Task Parse_OfAnInvalidUrl_IsAUsageError(string url)
    {
        var run = await CliRunner.RunAsync("parse", url, "--field", "title=h1::text");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain(url);
    }

    [Fact]
    public async Task Parse_OfAPageThatAnswers404_IsAnError_AndRunsNoCallback()
    {
        await using var server = await TestSites.StartAsync(pages: 5);

        var run = await CliRunner.RunAsync("parse", new Uri(server.BaseUrl, "/trap/status/404").AbsoluteUri, "--field", "title=h1::text");

        run.ExitCode.ShouldBe(ExitCodes.Error);
        run.Output.ShouldBeEmpty();
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("http_404");
    }

    [Fact]
    public async Task Parse_OfAServerThatRefuses_IsAnError_NamingTheFailure()
    {
        var run = await CliRunner.RunAsync("parse", "http://127.0.0.1:1/", "--field", "title=h1::text");

        run.ExitCode.ShouldBe(ExitCodes.Error);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("refused");
    }

    [Fact]
    public async Task ParseAsync_WhenTheCallbackThrows_KeepsWhatItYieldedBefore_AndNamesTheFailure()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var crawler = new CrawlerBuilder(new ThrowingSpider(), new CrawlOptions()).Build();

        var result = await crawler.ParseAsync(new Request(new Uri(server.BaseUrl, "/pages/1")));

        result.Succeeded.ShouldBeFalse();
        result.ErrorKind.ShouldBe("callback");
        result.Error.ShouldNotBeNull().ShouldContain("broken selector");
        result.Response.ShouldNotBeNull().Status.ShouldBe(200);
        result.Items.ShouldHaveSingleItem()["title"]!.GetValue<string>().ShouldBe("Page 1");
        result.Requests.ShouldHaveSingleItem().Depth.ShouldBe(1);
        result.Exception.ShouldBeOfType<InvalidOperationException>();
    }

    private static List<JsonObject> Lines(CliRun run) =>
        [.. run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];

    private sealed class ThrowingSpider : Spider
    {
        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { title = response.Css("h1::text").Get() };
            yield return response.Follow("/pages/2");
            await Task.Yield();
            throw new InvalidOperationException("broken selector");
        }
    }
}
