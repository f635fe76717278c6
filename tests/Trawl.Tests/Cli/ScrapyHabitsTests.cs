using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// What a Scrapy user types first: <c>-a NAME=VALUE</c> is a spider argument and <c>-s NAME=VALUE</c> a setting, as in
/// Scrapy; a mistyped flag is named with a suggestion; a value of the wrong type is one line without .NET type names.
/// </summary>
public sealed class ScrapyHabitsTests
{
    [Fact]
    public async Task LowerA_PassesASpiderArgument_AsInScrapy()
    {
        var siteOptions = new SandboxOptions { Pages = 10, QuotePages = 2, QuotesPerPage = 5, Seed = 3 };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("quotes.jsonl");

        var run = await CliRunner.RunAsync("crawl", "quotes", "-a", $"StartUrl={new Uri(server.BaseUrl, "/quotes/")}", "-a", "Authors=false", "-o", output, "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!["Text"]!.GetValue<string>())
            .ShouldBe(SandboxSite.Quotes(siteOptions).Select(q => q.Text), ignoreOrder: true);
    }

    [Fact]
    public async Task LowerA_WithAPattern_OnADeclarativeSpider_SaysToWriteAllow()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "-a", "/guide/", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var message = run.ErrorLines.ShouldHaveSingleItem();
        message.ShouldContain("Scrapy's -a");
        message.ShouldContain("--allow '/guide/'");
    }

    [Fact]
    public async Task LowerS_SetsScrapySettings_AndTrawlsOwn()
    {
        await using var site = await TestSites.StartAsync(pages: 30);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");

        var run = await CliRunner.RunAsync(
            "crawl", "--start", site.BaseUrl.AbsoluteUri, "-s", "CLOSESPIDER_PAGECOUNT=4", "-s", "ROBOTSTXT_OBEY=False", "--set", "concurrency=1",
            "-o", output, "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        File.ReadAllLines(output).Length.ShouldBe(4, "CLOSESPIDER_PAGECOUNT is --limit");
        site.FetchCount("/robots.txt").ShouldBe(0, "ROBOTSTXT_OBEY=False is --ignore-robots");
    }

    [Theory]
    [InlineData("concurrency=abc", "Invalid --concurrency 'abc': expected a whole number")]
    [InlineData("DOWNLOAD_DELAI=1", "did you mean DOWNLOAD_DELAY?")]
    [InlineData("ROBOTSTXT_OBEY=maybe", "expected True or False")]
    [InlineData("http://127.0.0.1:1/", "For a start URL write --start http://127.0.0.1:1/")]
    public async Task LowerS_Misused_IsOneLineSayingWhatToWrite(string setting, string expected)
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "-s", setting, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain(expected, Case.Insensitive);
    }

    [Fact]
    public async Task Field_WithoutTextOrAttr_IsTheElementsOuterHtml_AsScrapysGet()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");

        var run = await CliRunner.RunAsync(
            "crawl", "--start", new Uri(site.BaseUrl, "/pages/1").AbsoluteUri, "--limit", "1", "--field", "title=h1", "--field", "text=h1::text",
            "-o", output, "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var item = JsonNode.Parse(File.ReadAllLines(output).ShouldHaveSingleItem())!;
        item["title"]!.GetValue<string>().ShouldBe("<h1>Page 1</h1>");
        item["text"]!.GetValue<string>().ShouldBe("Page 1");
    }

    [Fact]
    public async Task MistypedFlag_IsNamed_WithASuggestion_NotTheWordAfterIt()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--limt", "3", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var message = run.ErrorLines.ShouldHaveSingleItem();
        message.ShouldContain("'--limt'");
        message.ShouldContain("did you mean --limit?");
        message.ShouldNotContain("'3'");
    }

    [Fact]
    public async Task MistypedFlag_BeforeAUrl_IsNamed_AndTheUrlIsNotBlamed()
    {
        var run = await CliRunner.RunAsync("crawl", "--strat", "http://127.0.0.1:1/", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var message = run.ErrorLines.ShouldHaveSingleItem();
        message.ShouldContain("'--strat'");
        message.ShouldContain("did you mean --start?");
        message.ShouldNotContain("http://127.0.0.1:1/");
    }

    [Theory]
    [InlineData("--limit", "abc", "expected a whole number")]
    [InlineData("--delay", "soon", "expected a number")]
    public async Task ValueOfTheWrongType_IsOneLine_WithoutDotNetTypeNames(string flag, string value, string expected)
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", flag, value, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var message = run.ErrorLines.ShouldHaveSingleItem();
        message.ShouldContain($"{flag} '{value}'");
        message.ShouldContain(expected);
        message.ShouldNotContain("System.");
    }
}
