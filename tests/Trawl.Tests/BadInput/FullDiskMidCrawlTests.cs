using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.BadInput;

/// <summary>
/// A disk that fills up during a crawl: the crawl stops with a clear error and exit code 1, saying how to resume; once
/// space is freed, the same command finishes the job, and every page is in the items file exactly once.
/// </summary>
/// <remarks>
/// Where the disk fills decides how the crawl stops: a commit or the item output pauses it ("Stopped by an error: …"),
/// while a lease the engine takes meanwhile still escapes as "trawl: error: …" (the engine does not yet turn that into a
/// pause). Both exit with 1 and say how to resume, which is what this test holds to.
/// </remarks>
public sealed class FullDiskMidCrawlTests
{
    private static readonly SandboxOptions Site = new() { Pages = 1500, QuotePages = 0, PageSize = 512, Seed = 11, LinksPerPage = 4, EnableRequestLog = false };

    [Theory]
    [InlineData("job", 512 * 1024)]
    [InlineData("items", 48 * 1024)]
    [InlineData("job and items", 640 * 1024)]
    public async Task FullDiskMidCrawl_StopsWithAClearError_AndTheJobFinishesOnceThereIsSpace(string onTheSmallDisk, int room)
    {
        using var mount = TmpfsMount.Mount("2m");

        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var job = onTheSmallDisk.Contains("job", StringComparison.Ordinal) ? mount.File("job") : temp.File("job");
        var items = onTheSmallDisk.Contains("items", StringComparison.Ordinal) ? mount.File("items.jsonl") : temp.File("items.jsonl");
        string[] args = ["crawl", "--start", server.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
            "-o", items, "--jobdir", job, "--no-progress", "--log-level", "none"];
        var filler = mount.Fill(leaveFree: room);

        var stopped = await CliRunner.RunAsync(args);

        stopped.ExitCode.ShouldBe(ExitCodes.Error, stopped.Output + stopped.Error);
        var said = stopped.Output + stopped.Error;
        said.ShouldContain("Stopped by an error:");
        said.ShouldContain("full");
        said.ShouldContain("run the same command again to resume");
        said.ShouldNotContain("   at ");
        File.Exists(Path.Combine(job, "job.db")).ShouldBeTrue();

        File.Delete(filler);
        mount.Remount("size=64m");
        var resumed = await CliRunner.RunAsync(args);

        resumed.ExitCode.ShouldBe(ExitCodes.Finished, resumed.Output + resumed.Error);
        var paths = File.ReadAllLines(items).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath).ToList();
        paths.ShouldBe(SandboxSite.ReachablePaths(Site), ignoreOrder: true);
        Directory.Exists(job).ShouldBeFalse("a finished job removes its directory");
    }
}
