using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.HttpCache;

/// <summary><c>--http-cache DIR</c>: the development loop of changing a selector and running again without traffic.</summary>
public sealed class HttpCacheCliTests
{
    private static SandboxOptions Site() => new() { Pages = 60, QuotePages = 2, PageSize = 1024, Seed = 7, RobotsTxt = "User-agent: *\nDisallow: /pages/5\n" };

    [Fact]
    public async Task ASecondCrawl_WithTheSandboxStopped_GivesTheSameItems()
    {
        using var temp = new TempDirectory();
        var cache = temp.File("cache");
        Uri site;
        await using (var server = await SandboxServer.StartAsync(Site()))
        {
            site = server.BaseUrl;
            var first = await CrawlAsync(site, cache, temp.File("first.jsonl"));
            first.ExitCode.ShouldBe(ExitCodes.Finished, first.Error);
        }

        var second = await CrawlAsync(site, cache, temp.File("second.jsonl"));

        second.ExitCode.ShouldBe(ExitCodes.Finished, second.Error);
        var items = Items(temp.File("first.jsonl"));
        items.Count.ShouldBeGreaterThan(60);
        Items(temp.File("second.jsonl")).ShouldBe(items);
        items.Keys.ShouldNotContain(url => url.EndsWith("/pages/5", StringComparison.Ordinal), "robots.txt came from the cache too, and still disallows /pages/5");
    }

    [Fact]
    public async Task TwoProcessesSharingACache_BothFinish_AndTheCacheServesEveryPageAfterwards()
    {
        using var temp = new TempDirectory();
        var cache = temp.File("cache");
        SortedDictionary<string, string> together;
        Uri site;
        await using (var server = await SandboxServer.StartAsync(Site()))
        {
            site = server.BaseUrl;
            using var one = CliProcess.Start(temp.Path, Args(server.BaseUrl, cache, temp.File("one.jsonl")));
            using var two = CliProcess.Start(temp.Path, Args(server.BaseUrl, cache, temp.File("two.jsonl")));
            (await one.WaitAsync(TimeSpan.FromMinutes(3))).ShouldBe(ExitCodes.Finished, one.Error);
            (await two.WaitAsync(TimeSpan.FromMinutes(3))).ShouldBe(ExitCodes.Finished, two.Error);
            together = Items(temp.File("one.jsonl"));
            Items(temp.File("two.jsonl")).ShouldBe(together);
        }

        var offline = await CrawlAsync(site, cache, temp.File("offline.jsonl"));

        offline.ExitCode.ShouldBe(ExitCodes.Finished, offline.Error);
        Items(temp.File("offline.jsonl")).ShouldBe(together);
    }

    [Fact]
    public async Task Parse_ThroughTheCache_GivesTheSameLines_WithTheSandboxStopped()
    {
        using var temp = new TempDirectory();
        var cache = temp.File("cache");
        string[] args;
        CliRun online;
        await using (var server = await SandboxServer.StartAsync(Site()))
        {
            args = ["parse", new Uri(server.BaseUrl, "/quotes/").AbsoluteUri, "--spider", "quotes", "--http-cache", cache];
            online = await CliRunner.RunAsync(args);
            online.ExitCode.ShouldBe(ExitCodes.Finished, online.Error);
        }

        var offline = await CliRunner.RunAsync(args);

        offline.ExitCode.ShouldBe(ExitCodes.Finished, offline.Error);
        offline.Output.ShouldBe(online.Output);
        online.Output.ShouldContain("\"item\"");
    }

    [Fact]
    public async Task ACacheDirectoryThatCannotBeUsed_IsAUsageError_AndNothingIsFetched()
    {
        using var temp = new TempDirectory();
        var file = temp.File("a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        await using var server = await TestSites.StartAsync(pages: 5);

        var run = await CliRunner.RunAsync("crawl", "--start", server.BaseUrl.AbsoluteUri, "--http-cache", file, "-o", temp.File("items.jsonl"), "--no-job", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain(file);
        server.TotalRequests.ShouldBe(0);
    }

    [Theory]
    [InlineData("--http-cache-expire", "7d")]
    [InlineData("--http-cache-policy", "rfc9111")]
    [InlineData("--http-cache-credentials", null)]
    public async Task CacheFlagsWithoutACache_AreAUsageError(string flag, string? value)
    {
        var run = await CliRunner.RunAsync(["crawl", "--start", "http://127.0.0.1:1/", flag, .. value is null ? Array.Empty<string>() : [value], "--no-progress"]);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("--http-cache DIR");
    }

    [Theory]
    [InlineData("--http-cache-policy", "sometimes")]
    [InlineData("--http-cache-expire", "soon")]
    [InlineData("--http-cache-status", "200,abc")]
    public async Task BadCacheFlags_AreAUsageError_NamingTheFlag(string flag, string value)
    {
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--http-cache", temp.File("cache"), flag, value, "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain(flag);
        Directory.Exists(temp.File("cache")).ShouldBeFalse();
    }

    private static string[] Args(Uri site, string cache, string output) =>
        ["crawl", "--start", site.AbsoluteUri, "--field", "title=h1::text", "--field", "author=//small[@class='author']/text()", "--http-cache", cache, "-o", output,
         "--no-job", "--no-progress", "--log-level", "warning"];

    private static Task<CliRun> CrawlAsync(Uri site, string cache, string output) => CliRunner.RunAsync(Args(site, cache, output));

    // By URL, sorted: two crawls write their items in whatever order their pages came back.
    private static SortedDictionary<string, string> Items(string output) =>
        new(File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!.AsObject()).ToDictionary(item => item["url"]!.GetValue<string>(), item => item.ToJsonString()), StringComparer.Ordinal);
}
