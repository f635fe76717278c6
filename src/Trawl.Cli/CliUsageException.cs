namespace Trawl.Cli;

/// <summary>Bad arguments or configuration. The CLI prints the message (no stack trace) and exits with <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
