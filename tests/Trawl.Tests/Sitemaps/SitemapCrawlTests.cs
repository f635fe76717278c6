using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Sitemaps;

/// <summary>
/// <c>trawl crawl --sitemap</c> on the sandbox's sitemap section: a robots.txt naming an index of a mislabelled gzipped
/// urlset and a plain one, and the traps (a gzip bomb, an entity attack, an oversize file, cross-host entries).
/// </summary>
public sealed class SitemapCrawlTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task RobotsTxt_ToIndex_ToGzippedAndPlainUrlsets_WithNoFollow_FetchesEveryListedPageOnce_AndNothingElse()
    {
        var options = new SandboxOptions { SitemapPages = 40 };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync(Crawl(server, temp, "/sitemaps/robots.txt", "--no-follow"));

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        var expected = SandboxSite.SitemapListedPaths(options);
        ItemPaths(temp).ShouldBe(expected, ignoreOrder: true);
        var fetched = server.FetchCounts();
        foreach (var path in expected)
        {
            fetched.GetValueOrDefault(path).ShouldBe(1, path);
        }

        fetched.Keys.Where(path => path.StartsWith("/sitemaps/unlisted/", StringComparison.Ordinal)).ShouldBeEmpty();
        fetched.GetValueOrDefault("/sitemaps/pages-a.xml.gz").ShouldBe(1);
        fetched.GetValueOrDefault("/sitemaps/pages-b.xml").ShouldBe(1);
    }

    [Fact]
    public async Task ASpiderFile_TakesSitemapAndNoFollow()
    {
        var options = new SandboxOptions { SitemapPages = 6 };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        var file = temp.File("spider.json");
        await File.WriteAllTextAsync(file, $$"""
            { "sitemap": "{{new Uri(server.BaseUrl, "/sitemaps/index.xml").AbsoluteUri}}", "noFollow": true, "deny": "/page/6$", "fields": { "title": "h1::text" } }
            """);

        var run = await CliRunner.RunAsync("crawl", file, "-o", temp.File("items.jsonl"), "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        ItemPaths(temp).ShouldBe(SandboxSite.SitemapListedPaths(options).Where(path => path != "/sitemaps/page/6"), ignoreOrder: true);
    }

    [Fact]
    public async Task AnInvalidSitemapUrl_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--sitemap", "ftp://example.com/sitemap.xml", "--no-job", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain("Invalid sitemap URL 'ftp://example.com/sitemap.xml'");
    }

    [Fact]
    public async Task WithoutNoFollow_TheListedPagesLinksAreFollowed()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { SitemapPages = 4 });
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync(Crawl(server, temp, "/sitemaps/robots.txt"));

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        server.FetchCount("/sitemaps/unlisted/3").ShouldBe(1);
    }

    [Fact]
    public async Task AGzipBomb_FailsItsSitemap_AsTooLarge()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions());
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync(Crawl(server, temp, "/sitemaps/trap/bomb.xml.gz"));

        run.ExitCode.ShouldBe(ExitCodes.StartFailed, run.Output + run.Error);
        run.Output.ShouldContain("sitemap_too_large");
        Log(temp).ShouldContain("sitemap_too_large: The sitemap is over 52,428,800 bytes uncompressed");
        Log(temp).ShouldNotContain("   at ");
    }

    [Fact]
    public async Task AnEntityAttack_FailsItsSitemap_AsMalformed()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions());
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync(Crawl(server, temp, "/sitemaps/trap/entities.xml"));

        run.ExitCode.ShouldBe(ExitCodes.StartFailed, run.Output + run.Error);
        run.Output.ShouldContain("sitemap_malformed");
        Log(temp).ShouldContain("DTD");
        server.FetchCount("/sitemaps/page/1").ShouldBe(0);
    }

    [Fact]
    public async Task AMalformedSitemap_FailsAsMalformed()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions());
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync(Crawl(server, temp, "/sitemaps/trap/malformed.xml"));

        run.ExitCode.ShouldBe(ExitCodes.StartFailed, run.Output + run.Error);
        run.Output.ShouldContain("sitemap_malformed");
    }

    [Fact]
    public async Task AnOversizeSitemap_TakesFiftyThousandEntries_AndCountsTheRest()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions());
        using var temp = new TempDirectory();

        // The entries are denied so that the test does not fetch 50,000 pages: what counts is how many were read.
        var run = await CliRunner.RunAsync([.. Crawl(server, temp, "/sitemaps/trap/oversize.xml"), "--deny", "/oversize/"]);

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        run.Output.ShouldContain("sitemap_truncated 10");
        run.Output.ShouldContain("sitemap_rules 50,000");
        Log(temp).ShouldContain("the 10 past it are not crawled");
    }

    [Fact]
    public async Task CrossHostEntries_AreIgnored_UnlessTheirDomainIsAllowed()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions());
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync(Crawl(server, temp, "/sitemaps/trap/cross-host.xml", "--no-follow"));

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        ItemPaths(temp).ShouldBe(["/sitemaps/page/2"]);
        server.FetchCount("/sitemaps/page/1").ShouldBe(0, "localhost is another host than 127.0.0.1");
        run.Output.ShouldContain("sitemap_offsite 2");

        using var allowed = new TempDirectory();
        var second = await CliRunner.RunAsync([.. Crawl(server, allowed, "/sitemaps/trap/cross-host.xml", "--no-follow"), "--allow-domain", "localhost", "--allow-domain", "127.0.0.1"]);

        second.ExitCode.ShouldBe(ExitCodes.Finished, second.Output + second.Error);
        server.FetchCount("/sitemaps/page/1").ShouldBe(1);
        second.Output.ShouldContain("sitemap_offsite 1");
    }

    [Fact]
    public async Task AKillInTheMiddleOfTheSitemaps_ThenResume_GivesEachPageOnce()
    {
        var options = new SandboxOptions { SitemapPages = 1500, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        string[] args =
        [
            "crawl", "--sitemap", new Uri(server.BaseUrl, "/sitemaps/robots.txt").AbsoluteUri, "--no-follow", "--field", "title=h1::text",
            "--jobdir", "job", "-o", "items.jsonl", "--concurrency", "4", "--no-progress", "--log-level", "warning", "--checkpoint-interval", "0.2",
        ];

        using (var child = CliProcess.Start(temp.Path, args))
        {
            // Past the sitemaps (robots.txt, index, two urlsets) and some pages, well before the 1,500 are done.
            await Waiting.UntilAsync(() => server.TotalRequests >= 300 || child.HasExited, RunTimeout);
            child.HasExited.ShouldBeFalse(child.Output + child.Error);
            await child.KillAsync();
        }

        using (var resumed = CliProcess.Start(temp.Path, args))
        {
            (await resumed.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, resumed.Output + resumed.Error);
        }

        var paths = ItemPaths(temp);
        paths.Count.ShouldBe(options.SitemapPages, "one item per page");
        paths.ShouldBe(SandboxSite.SitemapListedPaths(options), ignoreOrder: true);
    }

    [Fact]
    public async Task ReRunningAKeptJob_RefetchesOnlyTheEntriesWhoseLastmodIsNewerThanTheirLastFetch()
    {
        var options = new SandboxOptions { SitemapPages = 20 };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        var args = await CrawlThenChangePages4And7Async(server, options, temp);

        var second = await CliRunner.RunAsync(args);

        second.ExitCode.ShouldBe(ExitCodes.Finished, second.Output + second.Error);
        ShouldHaveRefetchedPages4And7Only(server, options);
        ItemPaths(temp).Count(path => path == "/sitemaps/page/4").ShouldBe(2);
    }

    [Fact]
    public async Task AReRunKilledBeforeItReadsTheSitemapsAgain_ReadsThemOnResume_AndRefetchesTheChangedPagesOnce()
    {
        var options = new SandboxOptions { SitemapPages = 20 };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        var args = await CrawlThenChangePages4And7Async(server, options, temp);

        // The re-run reads robots.txt again, then a long delay holds the index back: the kill lands between the two, while
        // the index and the sitemaps it lists (none with a lastmod) are still to be read again.
        using (var rerun = CliProcess.Start(temp.Path, [.. args, "--delay", "10", "--no-randomize-delay"]))
        {
            await Waiting.UntilAsync(() => server.FetchCount("/sitemaps/robots.txt") == 2 || rerun.HasExited, RunTimeout);
            rerun.HasExited.ShouldBeFalse(rerun.Output + rerun.Error);
            await rerun.KillAsync();
        }

        server.FetchCount("/sitemaps/index.xml").ShouldBe(1, "the kill came before the re-run read the index");
        var resumed = await CliRunner.RunAsync(args);

        resumed.ExitCode.ShouldBe(ExitCodes.Finished, resumed.Output + resumed.Error);
        server.FetchCount("/sitemaps/index.xml").ShouldBe(2);
        ShouldHaveRefetchedPages4And7Only(server, options);
        var items = ItemPaths(temp);
        items.Count(path => path == "/sitemaps/page/7").ShouldBe(2, "once per run that fetched it");
        items.Count.ShouldBe(options.SitemapPages + 2);
    }

    // Crawls the sitemap section into a job kept when it finishes, then changes pages 4 (in the gzipped sitemap) and 7.
    // Returns the command, which run again is a re-run.
    private static async Task<string[]> CrawlThenChangePages4And7Async(SandboxServer server, SandboxOptions options, TempDirectory temp)
    {
        string[] args =
        [
            "crawl", "--sitemap", new Uri(server.BaseUrl, "/sitemaps/robots.txt").AbsoluteUri, "--no-follow", "--field", "title=h1::text",
            "--jobdir", temp.File("job"), "--keep-job", "-o", temp.File("items.jsonl"), "--no-progress", "--log-level", "warning",
        ];
        var first = await CliRunner.RunAsync(args);
        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        SandboxSite.SitemapListedPaths(options).ShouldAllBe(path => server.FetchCount(path) == 1);

        // lastmod has whole seconds, so one ahead is after any fetch so far.
        var changed = DateTimeOffset.UtcNow.AddSeconds(1);
        server.TouchSitemapPage(4, changed);
        server.TouchSitemapPage(7, changed);
        return args;
    }

    // The sitemaps were read again, and only the two changed pages fetched again.
    private static void ShouldHaveRefetchedPages4And7Only(SandboxServer server, SandboxOptions options)
    {
        server.FetchCount("/sitemaps/pages-a.xml.gz").ShouldBe(2);
        server.FetchCount("/sitemaps/pages-b.xml").ShouldBe(2);
        foreach (var path in SandboxSite.SitemapListedPaths(options))
        {
            server.FetchCount(path).ShouldBe(path is "/sitemaps/page/4" or "/sitemaps/page/7" ? 2 : 1, path);
        }
    }

    private static string[] Crawl(SandboxServer server, TempDirectory temp, string sitemapPath, params string[] more) =>
    [
        "crawl", "--sitemap", new Uri(server.BaseUrl, sitemapPath).AbsoluteUri, "--field", "title=h1::text", "-o", temp.File("items.jsonl"),
        "--no-job", "--no-progress", "--log-level", "info", "--log-file", temp.File("crawl.log"), .. more,
    ];

    private static string Log(TempDirectory temp) => File.ReadAllText(temp.File("crawl.log"));

    private static List<string> ItemPaths(TempDirectory temp) =>
        [.. File.ReadAllLines(temp.File("items.jsonl")).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath)];
}
