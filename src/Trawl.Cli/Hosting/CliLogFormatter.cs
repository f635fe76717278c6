using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Trawl.Cli.Hosting;

/// <summary>
/// The console's log lines: <c>HH:mm:ss warn: Category[EventId] message</c>, one line each. An exception adds its type
/// and message (and those of its inner exceptions), not its stack trace, which is for <c>--log-file</c> or
/// <c>TRAWL_DEBUG=1</c>. The level is coloured only when standard error itself is a terminal (and <c>NO_COLOR</c> is
/// unset), so a redirected standard error holds plain text even when standard output is a terminal.
/// </summary>
internal sealed class CliLogFormatter : ConsoleFormatter
{
    public const string FormatterName = "trawl";

    private readonly bool _colors = UseColors();
    private readonly bool _stackTraces = string.Equals(Environment.GetEnvironmentVariable("TRAWL_DEBUG"), "1", StringComparison.Ordinal);

    public CliLogFormatter()
        : base(FormatterName)
    {
    }

    /// <summary>Whether to colour: standard error is a terminal, <c>NO_COLOR</c> is unset and <c>TERM</c> is not <c>dumb</c>.</summary>
    internal static bool UseColors() =>
        !Console.IsErrorRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.Exception is null && string.IsNullOrEmpty(message))
        {
            return;
        }

        textWriter.Write(TimeProvider.System.GetLocalNow().ToString("HH:mm:ss ", System.Globalization.CultureInfo.InvariantCulture));
        var label = CallbackLogger.ShortName(logEntry.LogLevel);
        textWriter.Write(_colors && Color(logEntry.LogLevel) is { } color ? $"\u001b[{color}m{label}\u001b[39m\u001b[22m" : label);
        textWriter.Write($": {logEntry.Category}[{logEntry.EventId.Id}] ");
        textWriter.Write(OneLine(message));
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write(' ');
            textWriter.Write(OneLine(_stackTraces ? exception.ToString() : Describe(exception)));
        }

        textWriter.Write(Environment.NewLine);
    }

    /// <summary>"(Type: message; Inner: message)", without stack traces: an exception as the console shows it.</summary>
    internal static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (Exception? current = exception; current is not null && parts.Count < 4; current = current.InnerException)
        {
            parts.Add($"{current.GetType().Name}: {current.Message}");
        }

        return $"({string.Join("; ", parts)})";
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static string? Color(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "90",
        LogLevel.Information => "32",
        LogLevel.Warning => "1;33",
        LogLevel.Error => "1;31",
        LogLevel.Critical => "1;37;41",
        _ => null,
    };
}
