using Trawl.Cli.Hosting;

namespace Trawl.Tests.Support;

/// <summary>The trawl command as a real child process, so tests can kill it with real signals.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly CliChildProcess _process;

    private CliProcess(CliChildProcess process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    public string Error => _process.Error;

    /// <summary>Starts <c>trawl ARGS</c> from the Trawl.Cli build next to the test assembly.</summary>
    public static CliProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Starts <c>trawl ARGS</c> with extra environment variables.</summary>
    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        new(CliChildProcess.Start(args, workingDirectory: workingDirectory, environment: environment));

    /// <summary>Runs to the end and returns the exit code.</summary>
    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        return await _process.WaitAsync(cts.Token);
    }

    /// <summary>SIGKILL: the process gets no chance to clean up.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitAsync(CancellationToken.None);
    }

    /// <summary>Sends SIGINT, as Ctrl+C does.</summary>
    /// <exception cref="InvalidOperationException">
    /// The child ignores SIGINT, as every process started in the background by a shell without job control does (and
    /// passes on to its children): the signal would do nothing and the test would wait for its whole timeout.
    /// </exception>
    public void Interrupt()
    {
        if (IgnoresInterrupt(_process.Id))
        {
            throw new InvalidOperationException(
                "The trawl child process ignores SIGINT, inherited from the test runner: run the tests from a foreground " +
                "shell or one with job control (set -m), not as 'dotnet test &' from a script.");
        }

        using var kill = System.Diagnostics.Process.Start("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -INT {_process.Id} failed with exit code {kill.ExitCode}.");
        }
    }

    public void Dispose() => _process.Dispose();

    // SigIgn in /proc/PID/status is a hex mask of ignored signals: bit 1 is SIGINT (signal 2).
    private static bool IgnoresInterrupt(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null
                && (ulong.Parse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & 0b10) != 0;
        }
        catch (IOException)
        {
            return false; // Already gone: the signal cannot matter.
        }
    }
}
