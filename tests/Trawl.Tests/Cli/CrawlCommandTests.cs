using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

public sealed class CrawlCommandTests
{
    // Big enough for many group commits and a frontier far larger than the concurrency; at 10,000 pages the test took
    // minutes of the suite on a loaded machine, and crawls of that size belong to the benchmarks (BENCHMARKS.md).
    [Fact]
    public async Task Crawl_OfA3000PageSite_FetchesEachPageOnce_AndWritesOneItemPerPage()
    {
        var siteOptions = new SandboxOptions { Pages = 3_000, QuotePages = 0, PageSize = 1024, Seed = 7, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");

        var run = await CliRunner.RunAsync(
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
            "-o", output, "--jobdir", temp.File("job"), "--concurrency", "32", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var expected = SandboxSite.ReachablePaths(siteOptions);
        var fetches = server.FetchCounts().Where(pair => expected.Contains(pair.Key)).ToList();
        fetches.Count.ShouldBe(expected.Count);
        fetches.ShouldAllBe(pair => pair.Value == 1);
        var items = File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        items.Count.ShouldBe(expected.Count);
        items.Select(item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath).ShouldBe(expected, ignoreOrder: true);
        items.Where(item => item["url"]!.GetValue<string>().Contains("/pages/")).ShouldAllBe(item => item["title"]!.GetValue<string>().StartsWith("Page "));
    }

    [Fact]
    public async Task Crawl_WithMaxLinksPerPage_FollowsThatMany_AndTheSummaryCountsTheRest()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 100, QuotePages = 0, PageSize = 512, EnableRequestLog = false });
        var page = new Uri(server.BaseUrl, "/trap/links?n=50");

        var run = await CliRunner.RunAsync(
            "crawl", "--start", page.AbsoluteUri, "--max-links-per-page", "10", "--max-depth", "1", "--no-job", "--ignore-robots", "--no-progress", "--log-level", "none");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        run.Output.ShouldContain("links_truncated 40");
        server.FetchCounts().Keys.Count(path => path.StartsWith("/pages/", StringComparison.Ordinal)).ShouldBe(10);
    }

    [Fact]
    public async Task Crawl_WithANegativeMaxLinksPerPage_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--max-links-per-page", "-1", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("--max-links-per-page");
    }

    [Fact]
    public async Task Crawl_WithoutStart_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--allow", "x", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("start URL");
    }

    [Fact]
    public async Task Crawl_WithAnInvalidRegex_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--allow", "pages/(\\d+", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("pages/(\\d+");
        run.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Crawl_WithBadSelectorSyntax_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--field", "title=h1[[::text", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("h1[[");
        run.Error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task Crawl_ToAnUnwritableOutput_IsAUsageError_AndWritesNothing()
    {
        using var temp = new TempDirectory();
        var output = Path.Combine(temp.Path, "missing-dir", "items.jsonl");

        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "-o", output, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain(output);
        File.Exists(output).ShouldBeFalse();
    }

    [Fact]
    public async Task Crawl_WithAnInvalidStartUrl_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "not a url", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("not a url");
    }

    [Fact]
    public async Task Crawl_WithAMalformedSpiderFile_IsAUsageError()
    {
        using var temp = new TempDirectory();
        var file = temp.File("spider.json");
        await File.WriteAllTextAsync(file, "{ \"start\": [\"http://127.0.0.1:1/\"], \"fields\": { \"title\": ");

        var run = await CliRunner.RunAsync("crawl", file, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("spider.json");
    }

    [Fact]
    public async Task Crawl_WithAnUnknownOption_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--no-such-option");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain("--no-such-option");
    }

    [Fact]
    public async Task Crawl_FromASpiderFile_UsesItsFieldsAndRules()
    {
        await using var server = await TestSites.StartAsync(pages: 40);
        using var temp = new TempDirectory();
        var file = temp.File("spider.json");
        await File.WriteAllTextAsync(file, $$"""
            {
              // Comments and trailing commas are allowed.
              "name": "pages",
              "start": ["{{server.BaseUrl}}"],
              "allow": "/pages/\\d+$",
              "deny": ["/pages/1\\d$"],
              "fields": { "heading": "h1::text", "first_link": "a::attr(href)" },
            }
            """);
        var output = temp.File("items.csv");

        var run = await CliRunner.RunAsync("crawl", file, "-o", output, "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = File.ReadAllLines(output);
        lines[0].ShouldBe("url,heading,first_link");
        var urls = lines.Skip(1).Select(line => new Uri(line.Split(',')[0]).AbsolutePath).ToList();
        urls.ShouldContain("/pages/0");
        urls.ShouldNotContain(path => path.StartsWith("/pages/1") && path.Length == "/pages/10".Length);
        server.FetchCount("/pages/15").ShouldBe(0);
        urls.Count.ShouldBe(urls.Distinct().Count());
    }

    [Fact]
    public async Task Spiders_ListsTheHostsCSharpSpiders()
    {
        var run = await CliRunner.RunAsync("spiders");

        run.ExitCode.ShouldBe(ExitCodes.Finished);
        run.Output.ShouldContain("quotes");
    }
}
