using System.Diagnostics;
using Trawl.Cli;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// Log colours go only to a terminal: with standard output on a terminal (a pseudo-terminal from util-linux's
/// <c>script</c>) and standard error redirected to a file, the file holds no ANSI escapes; with standard error on the
/// terminal too, the levels are coloured. Also: the console shows an exception's message, not its stack trace.
/// </summary>
public sealed class LogColourTests
{
    private const char Escape = '\u001b';

    [Fact]
    public async Task StdoutOnATerminal_StderrToAFile_TheFileHasNoColours_ButATerminalHas()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        // One start page that fails (its failure is a warning) beside one that works (a crawl whose every start failed exits 4).
        var crawl = $"crawl --start {site.BaseUrl.AbsoluteUri} --start {new Uri(site.BaseUrl, "/no/such/page").AbsoluteUri} --no-job --no-progress -O {temp.File("items.jsonl")}";

        var (redirectedExit, _) = await RunOnATerminalAsync(temp, $"{crawl} 2>{temp.File("stderr.txt")}");
        var (terminalExit, terminal) = await RunOnATerminalAsync(temp, $"{crawl} 2>&1");

        redirectedExit.ShouldBe(ExitCodes.Finished);
        var stderr = await File.ReadAllTextAsync(temp.File("stderr.txt"));
        stderr.ShouldContain("warn: ", Case.Sensitive, "the page's failure is logged");
        stderr.ShouldNotContain(Escape);
        terminalExit.ShouldBe(ExitCodes.Finished);
        terminal.ShouldContain($"{Escape}[1;33mwarn", Case.Sensitive, "on a terminal the level is coloured");
    }

    [Fact]
    public async Task AnExceptionInTheLog_IsItsMessage_NotItsStackTrace()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        var output = temp.File("items.csv");
        await File.WriteAllTextAsync(output, "a,b\n1,2\n");

        using var crawl = CliProcess.Start(temp.Path, "crawl", "--start", site.BaseUrl.AbsoluteUri, "--limit", "1", "--no-job", "--no-progress", "-o", output);

        (await crawl.WaitAsync(TimeSpan.FromMinutes(2))).ShouldBe(ExitCodes.Finished, crawl.Error);
        crawl.Error.ShouldContain("UnknownColumnException: An item has the field 'url'");
        crawl.Error.ShouldNotContain("   at ");
        crawl.Error.ShouldNotContain(".cs:line");
    }

    // Runs "trawl ARGS" through sh inside script(1), whose pseudo-terminal is the child's standard output.
    private static async Task<(int ExitCode, string Terminal)> RunOnATerminalAsync(TempDirectory temp, string trawlArgs)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo("script")
        {
            WorkingDirectory = temp.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-q", "-e", "-c", $"'{dotnet}' '{typeof(TrawlCli).Assembly.Location}' {trawlArgs}", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("NO_COLOR");
        start.Environment["TERM"] = "xterm";
        using var process = Process.Start(start)!;
        var terminal = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        (await errors).ShouldBeEmpty("script itself reports nothing");
        return (process.ExitCode, await terminal);
    }
}
