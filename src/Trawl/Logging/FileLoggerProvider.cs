using Microsoft.Extensions.Logging;

namespace Trawl.Logging;

/// <summary>
/// Appends log messages to a file, one line each (UTC time, level, category, message; an exception's text on the lines
/// after), flushed as written so a crash loses none. What <c>trawl crawl --log-file</c> and <c>Spider.LogFile</c>
/// write; a host can add it to its own logger factory.
/// </summary>
public sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly LineLoggerProvider _lines;

    /// <summary>Opens <paramref name="path"/> for appending (creating it, and its directory, when missing).</summary>
    /// <param name="path">The log file.</param>
    /// <param name="timeProvider">The clock that stamps each line; <see langword="null"/> for the system's.</param>
    /// <exception cref="IOException">The file cannot be opened for appending.</exception>
    /// <exception cref="UnauthorizedAccessException">The file or its directory may not be written.</exception>
    public FileLoggerProvider(string path, TimeProvider? timeProvider = null)
        : this(path, timeProvider, LogLevel.Trace)
    {
    }

    /// <summary>Opens <paramref name="path"/> for appending, to write messages at <paramref name="minimum"/> and above.</summary>
    internal FileLoggerProvider(string path, TimeProvider? timeProvider, LogLevel minimum)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _lines = new LineLoggerProvider(writer, ownsWriter: true, timeProvider ?? TimeProvider.System, minimum);
    }

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => _lines.CreateLogger(categoryName);

    /// <summary>Closes the file.</summary>
    public void Dispose() => _lines.Dispose();
}
