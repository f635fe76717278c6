using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Sandbox;
using Trawl.Samples.Quotes;
using Trawl.Tests.Support;

namespace Trawl.Tests.Samples;

public sealed class QuotesSpiderTests
{
    [Fact]
    public async Task QuotesSpider_ExtractsEveryQuoteFromEveryPage()
    {
        var siteOptions = new SandboxOptions { Pages = 10, QuotePages = 12, QuotesPerPage = 10, Seed = 3 };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        var spider = new QuotesSpider { StartUrl = new Uri(server.BaseUrl, "/quotes/").AbsoluteUri };

        var result = await spider.RunAsync(new CrawlOptions { HandleSignals = false });

        var expected = SandboxSite.Quotes(siteOptions);
        var quotes = result.Items.Where(item => item.ContainsKey("Text")).ToList();
        quotes.Count.ShouldBe(expected.Count);
        quotes.Select(q => (q["Text"]!.GetValue<string>(), q["Author"]!.GetValue<string>()))
            .ShouldBe(expected.Select(q => (q.Text, q.Author)), ignoreOrder: true);
        var byText = quotes.ToDictionary(q => q["Text"]!.GetValue<string>());
        foreach (var quote in expected)
        {
            byText[quote.Text]["Tags"]!.AsArray().Select(tag => tag!.GetValue<string>()).ShouldBe(quote.Tags);
        }

        var authors = result.Items.Where(item => item.ContainsKey("Born")).Select(a => a["Name"]!.GetValue<string>()).ToList();
        authors.ShouldBe(expected.Select(q => q.Author).Distinct(), ignoreOrder: true);
    }

    [Fact]
    public async Task QuotesSpider_RunsByNameFromTheHostApp()
    {
        var siteOptions = new SandboxOptions { Pages = 10, QuotePages = 3, QuotesPerPage = 5, Seed = 3 };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("quotes.jsonl");

        var run = await CliRunner.RunAsync("crawl", "quotes", "--arg", $"StartUrl={new Uri(server.BaseUrl, "/quotes/")}", "--arg", "Authors=false", "-o", output, "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!["Text"]!.GetValue<string>()).ToList();
        lines.ShouldBe(SandboxSite.Quotes(siteOptions).Select(q => q.Text), ignoreOrder: true);
    }

    [Fact]
    public async Task UnknownSpiderArgument_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "quotes", "--arg", "Nope=1");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("StartUrl");
    }
}
