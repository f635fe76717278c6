namespace Trawl.Sandbox;

/// <summary>One request the sandbox server received, as kept in <see cref="SandboxServer.RequestLog"/>.</summary>
/// <param name="PathAndQuery">The request target as the client sent it, for example <c>/pages/3</c> or <c>/trap/slow?ms=50</c>.</param>
/// <param name="TimestampTicks">
/// When the request arrived, from <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>: monotonic, in units of
/// <see cref="System.Diagnostics.Stopwatch.Frequency"/> per second. Only differences between timestamps mean anything.
/// </param>
/// <param name="UserAgent">The <c>User-Agent</c> header, or <see langword="null"/> when there was none.</param>
public readonly record struct SandboxRequest(string PathAndQuery, long TimestampTicks, string? UserAgent);
