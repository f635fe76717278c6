using System.Globalization;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// The trawl command in a real terminal (tmux, 120×30): what a person sees. Failures come while the live display runs
/// (503s given up on after their retries, seconds in), so their warnings have a table to tear.
/// </summary>
public sealed class TerminalDisplayTests
{
    [Fact]
    public async Task InATerminal_WarningsGoAboveTheLiveTable_AndTheScreenEndsWithTheFinalFrameOnce()
    {
        await using var site = await TestSites.StartAsync(pages: 300);
        using var temp = new TempDirectory();
        var starts = Enumerable.Range(1, 4).Select(i => Url(site, $"/trap/status/404?n={i}"))
            .Concat(Enumerable.Range(1, 4).Select(i => Url(site, $"/trap/status/503?n={i}")))
            .Append(site.BaseUrl.AbsoluteUri);
        await File.WriteAllLinesAsync(temp.File("starts.txt"), starts);
        var script = temp.File("run.sh");
        await File.WriteAllTextAsync(script, $"""
            {TmuxTerminal.TrawlCommand()} crawl --start-file starts.txt --allow '/pages/' --no-job --concurrency 2 --delay 0.005 --log-file crawl.log
            echo $? > exit.txt
            """);

        using var terminal = TmuxTerminal.Start(script, temp.Path, width: 120, height: 30);
        await Waiting.UntilAsync(() => File.Exists(temp.File("exit.txt")), Waiting.Generous, "the crawl in the terminal");
        var screen = terminal.Capture();

        (await File.ReadAllTextAsync(temp.File("exit.txt"))).Trim().ShouldBe("0", string.Join('\n', screen));
        DisplayScreen.Problems(screen, after: line => line.StartsWith("Finished ", StringComparison.Ordinal)).ShouldBeEmpty(string.Join('\n', screen));
        screen.Count(line => line.Contains(" warn: ", StringComparison.Ordinal)).ShouldBe(8, string.Join('\n', screen));
        (await File.ReadAllLinesAsync(temp.File("crawl.log"))).Count(line => line.Contains(" warn ", StringComparison.Ordinal)).ShouldBe(8);
        screen[^1].ShouldStartWith("Finished ");
        screen[^1].ShouldContain("8 failed (http_404 4, http_503 4), 8 retries (http_503 8)");
    }

    [Fact]
    public async Task WithOnlyStandardErrorRedirected_TheLogHasNoColourCodes()
    {
        await using var site = await TestSites.StartAsync(pages: 10);
        using var temp = new TempDirectory();
        var script = temp.File("run.sh");
        await File.WriteAllTextAsync(script, $"""
            {TmuxTerminal.TrawlCommand()} crawl --start {TmuxTerminal.Quote(Url(site, "/trap/status/404"))} --no-job 2> err.txt
            echo $? > exit.txt
            """);

        using var terminal = TmuxTerminal.Start(script, temp.Path, width: 120, height: 30);
        await Waiting.UntilAsync(() => File.Exists(temp.File("exit.txt")), Waiting.Generous, "the crawl in the terminal");

        var error = await File.ReadAllTextAsync(temp.File("err.txt"));
        error.ShouldContain("warn: ");
        error.ShouldNotContain("\u001b", customMessage: error);
        terminal.Capture().ShouldContain(line => line.StartsWith("Finished ", StringComparison.Ordinal));
    }

    private static string Url(SandboxServer site, string path) => new Uri(site.BaseUrl, path).AbsoluteUri;
}
