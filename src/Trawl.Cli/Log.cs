using Microsoft.Extensions.Logging;

namespace Trawl.Cli;

/// <summary>Every log message of the trawl command itself, with stable event ids 5000-5099.</summary>
internal static partial class Log
{
    [LoggerMessage(5000, LogLevel.Information, "Progress: {Pages} pages, {Items} items, {Rate:0} pages/s, {Received}, {Queued} queued, {InFlight} in flight, {Failed} failed, {Retries} retries, time left {TimeLeft}")]
    public static partial void Progress(ILogger logger, long pages, long items, double rate, string received, long queued, int inFlight, long failed, long retries, string timeLeft);

    [LoggerMessage(5001, LogLevel.Warning, "Metrics on {Address} are reachable from the network: anyone who can connect to that port can read them. Bind 127.0.0.1 unless a firewall or container network keeps them private.")]
    public static partial void MetricsReachable(ILogger logger, string address);
}
