using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Trawl.Cli.Hosting;

/// <summary>Appends log messages to a file, one line each, flushed as written so a crash loses none.</summary>
internal sealed class FileLoggerProvider : ILoggerProvider
{
    private readonly StreamWriter _writer;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, CallbackLogger> _loggers = new(StringComparer.Ordinal);

    public FileLoggerProvider(string path, TimeProvider time)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        _time = time;
    }

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, name => new CallbackLogger(name, Write));

    public void Dispose()
    {
        lock (_gate)
        {
            _writer.Dispose();
        }
    }

    private void Write(string category, LogLevel level, string message, Exception? exception)
    {
        var line = $"{_time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {CallbackLogger.ShortName(level)} {category}: {message}";
        lock (_gate)
        {
            _writer.WriteLine(line);
            if (exception is not null)
            {
                _writer.WriteLine(exception.ToString());
            }
        }
    }
}
