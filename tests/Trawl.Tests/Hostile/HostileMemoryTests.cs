using System.Globalization;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Hostile;

/// <summary>
/// Bounded memory, measured: a real trawl process crawls a 2 GiB body and a gzip bomb that inflates to 1 GiB, and its
/// peak resident set (VmHWM, which only grows) stays far below either. Linux only, since it reads <c>/proc</c>.
/// </summary>
public sealed class HostileMemoryTests
{
    /// <summary>Generous: a trawl process peaks near 100-150 MB here; buffering either body would pass 1 GiB.</summary>
    private const long PeakBound = 512L << 20;

    [Fact]
    public async Task TwoGigabyteBodyAndGzipBomb_EndAsTooLarge_AndThePeakMemoryStaysSmall()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var server = await SandboxServer.StartAsync(HostileCrawl.SiteOptions());
        _ = global::Trawl.Sandbox.Traps.TrapEndpoints.GzipBombBytes;
        using var temp = new TempDirectory();
        using var trawl = CliProcess.Start(
            temp.Path,
            "crawl",
            "--start", new Uri(server.BaseUrl, "/trap/large?mb=2048").AbsoluteUri,
            "--start", new Uri(server.BaseUrl, "/trap/gzip-bomb").AbsoluteUri,
            // Keeps the process alive after the two big downloads end, so the peak can be read after both.
            "--start", new Uri(server.BaseUrl, "/trap/hang").AbsoluteUri,
            "--no-job", "--no-progress", "--log-level", "warning", "--timeout", "600");

        // Each big download ends with a warning that the crawl gave up on it; VmHWM only grows, so one reading once both
        // have ended holds the peak of both.
        await Waiting.UntilAsync(() => GaveUpTooLarge(trawl.Error) >= 2 || trawl.HasExited, Waiting.Generous, "both big downloads to end");
        trawl.HasExited.ShouldBeFalse(trawl.Output + trawl.Error);
        GaveUpTooLarge(trawl.Error).ShouldBe(2, trawl.Error);
        var peak = PeakResidentBytes(trawl.Id);

        trawl.Interrupt();
        await Waiting.UntilAsync(() => trawl.Error.Contains("Pausing") || trawl.HasExited, Waiting.Generous, "the pause");
        trawl.Interrupt();
        (await trawl.WaitAsync(Waiting.Generous)).ShouldBe(ExitCodes.Paused, trawl.Output + trawl.Error);
        trawl.Output.ShouldContain("too_large 2");
        server.FetchCount("/trap/large?mb=2048").ShouldBe(1);
        server.FetchCount("/trap/gzip-bomb").ShouldBe(1);
        peak.ShouldNotBeNull().ShouldBeGreaterThan(0);
        peak.Value.ShouldBeLessThan(PeakBound, $"peak resident set {peak >> 20} MiB");
    }

    private static int GaveUpTooLarge(string log) => log.Split('\n').Count(line => line.Contains("Gave up on", StringComparison.Ordinal) && line.Contains("too_large", StringComparison.Ordinal));

    private static long? PeakResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kilobytes = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process has just exited.
        }

        return null;
    }
}
