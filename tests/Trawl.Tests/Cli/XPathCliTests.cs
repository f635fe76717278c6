using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>XPath in <c>--field</c>, <c>--follow</c> and spider files: the same items as the equivalent CSS.</summary>
public sealed class XPathCliTests
{
    [Fact]
    public async Task Crawl_WithXPathFieldsAndFollow_WritesWhatTheEquivalentCssWrites()
    {
        await using var server = await TestSites.StartAsync(pages: 30, quotePages: 2);
        using var temp = new TempDirectory();

        var css = await CrawlAsync(temp.File("css.jsonl"), "--field", "title=h1::text", "--field", "first=a::attr(href)", "--follow", "a[href]");
        var xpath = await CrawlAsync(temp.File("xpath.jsonl"), "--field", "title=//h1/text()", "--field", "first=(//a/@href)[1]", "--follow", "//a/@href");

        xpath.Count.ShouldBeGreaterThan(30);
        var byUrl = Keyed(xpath);
        byUrl.Keys.ShouldBe(Keyed(css).Keys, ignoreOrder: true);
        foreach (var (url, item) in Keyed(css))
        {
            byUrl[url].ShouldBe(item, url);
        }

        // Items come in crawl order, and pages without an <h1> have no title.
        xpath.ShouldContain(item => item["title"] != null && item["title"]!.GetValue<string>().StartsWith("Page ", StringComparison.Ordinal));

        async Task<List<JsonObject>> CrawlAsync(string output, params string[] fields)
        {
            var run = await CliRunner.RunAsync(
                ["crawl", "--start", server.BaseUrl.AbsoluteUri, .. fields, "-o", output, "--no-job", "--ignore-robots", "--no-progress", "--log-level", "warning"]);
            run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
            return [.. File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!.AsObject())];
        }
    }

    [Fact]
    public async Task Crawl_FromASpiderFileWithXPathFields_ReadsThem()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        var file = temp.File("spider.json");
        await File.WriteAllTextAsync(file, $$"""
            { "start": ["{{server.BaseUrl}}pages/2"], "allow": "/pages/2$", "fields": { "heading": "//h1/text()", "links": "(count(//a))" } }
            """);
        var output = temp.File("items.jsonl");

        var run = await CliRunner.RunAsync("crawl", file, "-o", output, "--no-job", "--ignore-robots", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var item = JsonNode.Parse(File.ReadAllLines(output).ShouldHaveSingleItem())!.AsObject();
        item["heading"]!.GetValue<string>().ShouldBe("Page 2");
        int.Parse(item["links"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(1);
    }

    [Theory]
    [InlineData("--field", "title=//h1[text()")]
    [InlineData("--field", "title=//h1[@class=$c]/text()")]
    [InlineData("--follow", "(//a/@href")]
    public async Task Crawl_WithABadXPath_IsAUsageError_NamingIt(string option, string value)
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", option, value, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var line = run.ErrorLines.ShouldHaveSingleItem();
        line.ShouldContain("XPath");
        line.ShouldContain(value[(value.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        run.Error.ShouldNotContain("   at ");
    }

    private static Dictionary<string, string> Keyed(List<JsonObject> items) =>
        items.ToDictionary(item => item["url"]!.GetValue<string>(), item => item.ToJsonString());
}
