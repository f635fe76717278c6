using Trawl.Cli;
using Trawl.Tests.Downloader;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// A start URL nothing answers at (a closed port, a name that does not resolve) fails as its own download would, with
/// its retries on their own schedule, and the command says so with a non-zero exit; robots.txt's "disallow for now",
/// meant for a server that answers with errors, does not hold it for minutes first.
/// </summary>
public sealed class DeadHostTests
{
    // Before, such a run took two minutes (two waits of RobotsTxt.UnavailableRetryDelay, 60 s); now its three attempts
    // take about three seconds of backoff. A run that waited for robots.txt again would not end within this.
    private static readonly TimeSpan WellUnderAMinute = TimeSpan.FromSeconds(50);

    [Fact]
    public async Task AStartUrlOnAClosedPort_FailsInSeconds_AsRefused_WithTheStartFailedExitCode()
    {
        using var temp = new TempDirectory();
        var start = $"http://127.0.0.1:{DownloaderServer.ClosedPort()}/";

        using var child = CliProcess.Start(temp.Path, "crawl", "--start", start, "--limit", "5", "--no-progress", "--log-level", "info");
        var exit = await child.WaitAsync(WellUnderAMinute);

        exit.ShouldBe(ExitCodes.StartFailed, child.Output + child.Error);
        child.Output.ShouldContain("1 failed (refused 1), 2 retries (refused 2)");
        child.Output.ShouldContain("1 start request failed");
        child.Error.ShouldContain("Gave up on " + start + " after 3 attempts: refused");
        child.Error.ShouldNotContain("robots_unavailable");
        child.Error.ShouldNotContain("unavailable");
    }

    [Fact]
    public async Task AStartUrlWhoseHostDoesNotResolve_FailsInSeconds_AsDns_WithTheStartFailedExitCode()
    {
        using var temp = new TempDirectory();

        using var child = CliProcess.Start(temp.Path, "crawl", "--start", "http://nonexistent.invalid/", "--limit", "5", "--no-progress", "--log-level", "info");
        var exit = await child.WaitAsync(WellUnderAMinute);

        exit.ShouldBe(ExitCodes.StartFailed, child.Output + child.Error);
        child.Output.ShouldContain("1 failed (dns 1), 2 retries (dns 2)");
        child.Error.ShouldContain("after 3 attempts: dns");
        child.Error.ShouldNotContain("robots_unavailable");
    }

    [Fact]
    public async Task WithoutRobotsTxt_ADeadStartUrl_StillExitsWithTheStartFailedCode()
    {
        using var temp = new TempDirectory();

        using var child = CliProcess.Start(temp.Path, "crawl", "--start", $"http://127.0.0.1:{DownloaderServer.ClosedPort()}/", "--ignore-robots", "--retries", "0", "--no-job", "--no-progress");
        var exit = await child.WaitAsync(WellUnderAMinute);

        exit.ShouldBe(ExitCodes.StartFailed, child.Output + child.Error);
    }
}
