using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Trawl.Cli.Hosting;

/// <summary>
/// The trawl command line run again as a child process (for example <c>trawl sandbox serve</c>), with its standard
/// output and error read line by line. Disposing kills it if it is still running.
/// </summary>
internal sealed class CliChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private CliChildProcess(Process process, Action<string>? onOutputLine, Action<string>? onErrorLine)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Received(e.Data, _output, onOutputLine);
        _process.ErrorDataReceived += (_, e) => Received(e.Data, _error, onErrorLine);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the child has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the child has written to standard output so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Everything the child has written to standard error so far.</summary>
    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>trawl ARGS</c>: the Trawl.Cli assembly this code runs from, under the same .NET host. Its standard
    /// input is a pipe held by this process, so it closes when this process ends, however it ends.
    /// </summary>
    /// <param name="args">The command line.</param>
    /// <param name="onOutputLine">Called with each line the child writes to standard output, on a thread-pool thread.</param>
    /// <param name="onErrorLine">Called with each line the child writes to standard error, on a thread-pool thread.</param>
    /// <param name="workingDirectory">The child's working directory; <see langword="null"/> for this process's.</param>
    /// <param name="environment">Environment variables to set for the child, besides this process's.</param>
    public static CliChildProcess Start(
        IEnumerable<string> args,
        Action<string>? onOutputLine = null,
        Action<string>? onErrorLine = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory ?? string.Empty,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var cli = typeof(TrawlCli).Assembly.Location;
        var host = Environment.ProcessPath;
        if (host is not null && string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.FileName = host;
            start.ArgumentList.Add(cli);
        }
        else if (host is not null && Assembly.GetEntryAssembly() == typeof(TrawlCli).Assembly)
        {
            // The trawl apphost (an installed tool): run it again.
            start.FileName = host;
        }
        else
        {
            // A host app of its own: Trawl.Cli.dll beside it runs under the dotnet host.
            start.FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet";
            start.ArgumentList.Add(cli);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        return new CliChildProcess(process, onOutputLine, onErrorLine);
    }

    /// <summary>Waits for the child to exit and for its output to be read, and returns its exit code.</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Closes the child's standard input: a child that watches it (<c>sandbox serve --exit-on-stdin-close</c>) stops.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Kills the child and its own children, if it is still running.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static void Received(string? line, StringBuilder all, Action<string>? onLine)
    {
        if (line is null)
        {
            return;
        }

        lock (all)
        {
            all.AppendLine(line);
        }

        onLine?.Invoke(line);
    }
}
