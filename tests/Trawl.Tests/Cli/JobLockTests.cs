using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>The job lock is the operating system's, on the job directory: removing the lock file opens no door.</summary>
public sealed class JobLockTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task LockFileRemoved_ASecondProcessIsStillRefused_AndTheFirstFinishesExactlyOnce()
    {
        var siteOptions = OutputOwnershipTests.Site(seed: 31);
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();

        using var first = CliProcess.Start(temp.Path, OutputOwnershipTests.CrawlArgs(site, "job", "items.jsonl"));
        await OutputOwnershipTests.WaitUntilAsync(() => site.TotalRequests >= 50 || first.HasExited);
        first.HasExited.ShouldBeFalse(first.Output + first.Error);
        File.Delete(temp.File("job/lock"));

        using (var second = CliProcess.Start(temp.Path, OutputOwnershipTests.CrawlArgs(site, "job", "other.jsonl")))
        {
            (await second.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, second.Output + second.Error);
            second.Error.ShouldContain("in use by another");
            second.Error.ShouldContain(first.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            second.Error.ShouldNotContain("   at ");
        }

        File.Exists(temp.File("other.jsonl")).ShouldBeFalse();
        (await first.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        OutputOwnershipTests.AssertEachPageOnce(siteOptions, temp.File("items.jsonl"));
        Directory.Exists(temp.File("job")).ShouldBeFalse("a finished job removes its directory");
    }
}
