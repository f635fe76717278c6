using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// An output file belongs to one run, and a job is removed only once its output is verified: real trawl processes
/// crawling the sandbox site, with a second run aimed at the same file, the output's directory removed mid-crawl, and
/// the job's write-ahead log deleted after a kill.
/// </summary>
public sealed class OutputOwnershipTests
{
    private const int Pages = 3000;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task SecondRun_OnTheSameOutput_IsRefused_NamingTheFile_AndTheFirstFinishes()
    {
        var siteOptions = Site(seed: 21);
        await using var site = await SandboxServer.StartAsync(siteOptions);
        await using var otherSite = await SandboxServer.StartAsync(new SandboxOptions { Pages = 200, QuotePages = 0, PageSize = 1024, Seed = 22, EnableRequestLog = false });
        using var temp = new TempDirectory();

        using var first = CliProcess.Start(temp.Path, CrawlArgs(site, "jobA", "same.jsonl"));
        await WaitUntilAsync(() => site.TotalRequests >= 50 || first.HasExited);
        first.HasExited.ShouldBeFalse(first.Output + first.Error);
        using (var second = CliProcess.Start(temp.Path, CrawlArgs(otherSite, "jobB", "same.jsonl")))
        {
            (await second.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, second.Output + second.Error);
            second.Error.ShouldContain(temp.File("same.jsonl"));
            second.Error.ShouldContain("another trawl run");
            second.Error.ShouldContain(temp.File("jobA"), Case.Sensitive, "the message names the job writing it");
            second.Error.ShouldNotContain("   at ");
        }

        otherSite.TotalRequests.ShouldBe(0, "the refused run fetched nothing");
        Directory.Exists(temp.File("jobB")).ShouldBeFalse("the refused run created no job");
        (await first.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        AssertEachPageOnce(siteOptions, temp.File("same.jsonl"));
    }

    [Fact]
    public async Task OutputDirectoryRemoved_MidCrawl_IsAnError_TheJobIsKept_AndANewOutputGetsEveryItem()
    {
        var siteOptions = Site(seed: 23);
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("out"));

        using (var crawl = CliProcess.Start(temp.Path, CrawlArgs(site, "job", "out/items.jsonl")))
        {
            await WaitUntilAsync(() => site.TotalRequests >= 100 || crawl.HasExited);
            crawl.HasExited.ShouldBeFalse(crawl.Output + crawl.Error);
            Directory.Delete(temp.File("out"), recursive: true);

            (await crawl.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Error, crawl.Output + crawl.Error);
            var said = crawl.Output + crawl.Error;
            said.ShouldContain(temp.File("out/items.jsonl"));
            said.ShouldContain("new file");
            said.ShouldNotContain("   at ");
        }

        Directory.Exists(temp.File("job")).ShouldBeTrue("the job holds every item, so it is kept");

        // The recovery the message gives: the same command with a new output file gets every item, once.
        using (var recovered = CliProcess.Start(temp.Path, CrawlArgs(site, "job", "recovered.jsonl")))
        {
            (await recovered.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, recovered.Output + recovered.Error);
        }

        AssertEachPageOnce(siteOptions, temp.File("recovered.jsonl"));
        Directory.Exists(temp.File("job")).ShouldBeFalse("a job whose output is verified complete is removed");
    }

    [Fact]
    public async Task JobThatLostItsWriteAheadLog_RefusesToResume_AndLeavesTheOutputAsItWas()
    {
        await using var site = await SandboxServer.StartAsync(Site(seed: 24));
        using var temp = new TempDirectory();
        var args = CrawlArgs(site, "job", "items.jsonl");

        using (var crawl = CliProcess.Start(temp.Path, args))
        {
            await WaitUntilAsync(() => CountLines(temp.File("items.jsonl")) >= 200 || crawl.HasExited);
            crawl.HasExited.ShouldBeFalse(crawl.Output + crawl.Error);
            await crawl.KillAsync();
        }

        File.Exists(temp.File("job/job.db-wal")).ShouldBeTrue("a killed job leaves its write-ahead log");
        File.Delete(temp.File("job/job.db-wal"));
        File.Delete(temp.File("job/job.db-shm"));
        var before = await File.ReadAllBytesAsync(temp.File("items.jsonl"));

        using (var resumed = CliProcess.Start(temp.Path, args))
        {
            (await resumed.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, resumed.Output + resumed.Error);
            resumed.Error.ShouldContain(temp.File("items.jsonl"));
            resumed.Error.ShouldContain("job.db-wal");
            resumed.Error.ShouldNotContain("   at ");
        }

        (await File.ReadAllBytesAsync(temp.File("items.jsonl"))).ShouldBe(before, "an output the job cannot account for is never overwritten");
        File.Exists(temp.File("job/job.db")).ShouldBeTrue();
    }

    internal static SandboxOptions Site(int seed) => new() { Pages = Pages, QuotePages = 0, PageSize = 1024, Seed = seed, EnableRequestLog = false };

    internal static string[] CrawlArgs(SandboxServer site, string jobDir, string output) =>
    [
        "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
        "--jobdir", jobDir, "-o", output, "--concurrency", "8", "--no-progress", "--log-level", "warning",
        "--checkpoint-interval", "0.2",
    ];

    internal static void AssertEachPageOnce(SandboxOptions siteOptions, string output)
    {
        var expected = SandboxSite.ReachablePaths(siteOptions);
        var paths = File.ReadAllLines(output).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath).ToList();
        paths.Count.ShouldBe(expected.Count, "one item per page");
        paths.ShouldBe(expected, ignoreOrder: true);
    }

    private static int CountLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path).Length : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    internal static Task WaitUntilAsync(Func<bool> condition) => Waiting.UntilAsync(condition, RunTimeout);
}
