using System.Diagnostics;
using Trawl.Cli;

namespace Trawl.Tests.Support;

/// <summary>
/// A real terminal for a test: a tmux server of its own (on its own socket, with no user configuration) and one window
/// of the given size running a shell script. The window stays after the script ends, so its screen and scrollback can
/// be read; disposing kills the server and whatever still runs in it.
/// </summary>
public sealed class TmuxTerminal : IDisposable
{
    private readonly string _socket = "trawl-test-" + Guid.NewGuid().ToString("N")[..12];

    private TmuxTerminal()
    {
    }

    /// <summary>Runs <paramref name="script"/> with <c>sh</c> in a new <paramref name="width"/>×<paramref name="height"/> window.</summary>
    public static TmuxTerminal Start(string script, string workingDirectory, int width, int height)
    {
        var terminal = new TmuxTerminal();
        terminal.Run(
            "-f", "/dev/null", "new-session", "-d", "-x", Invariant(width), "-y", Invariant(height), "-s", "test", "-c", workingDirectory, "sh " + Quote(script),
            ";", "set-option", "-t", "test", "remain-on-exit", "on");
        return terminal;
    }

    /// <summary>The shell command that runs the trawl command line of this build.</summary>
    public static string TrawlCommand()
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return Quote(dotnet) + " " + Quote(typeof(TrawlCli).Assembly.Location);
    }

    /// <summary>Quotes a word for <c>sh</c>.</summary>
    public static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// Every line of the window, its scrollback first, wrapped lines joined, without trailing spaces or blank lines at
    /// the end, nor the line tmux writes when the script has ended.
    /// </summary>
    public IReadOnlyList<string> Capture()
    {
        var lines = Run("capture-pane", "-p", "-J", "-S", "-", "-t", "test").Split('\n').Select(line => line.TrimEnd()).ToList();
        while (lines.Count > 0 && (lines[^1].Length == 0 || lines[^1].StartsWith("Pane is dead", StringComparison.Ordinal)))
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    public void Dispose()
    {
        try
        {
            Run("kill-server");
        }
        catch (InvalidOperationException)
        {
            // Gone already.
        }
    }

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string Run(params string[] args)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["TERM"] = "xterm-256color";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start tmux.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed ({process.ExitCode}): {error}");
    }
}
