using Microsoft.Extensions.Logging;
using Trawl.Logging;

namespace Trawl.Cli;

/// <summary>
/// Every log message of the trawl command itself, with stable event ids 5000-5099; counts are written by
/// <see cref="Wording"/>, as in the library's messages.
/// </summary>
internal static partial class Log
{
    public static void Progress(ILogger logger, long pages, long items, double rate, string received, long queued, int inFlight, long failed, long retries, string timeLeft)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            ProgressMessage(logger, Wording.Count(pages, "page"), Wording.Count(items, "item"), rate, received, queued, inFlight, failed, Wording.Count(retries, "retry", "retries"), timeLeft);
        }
    }

    [LoggerMessage(5000, LogLevel.Information, "Progress: {Pages}, {Items}, {Rate:0} pages/s, {Received}, {Queued} queued, {InFlight} in flight, {Failed} failed, {Retries}, time left {TimeLeft}")]
    private static partial void ProgressMessage(ILogger logger, string pages, string items, double rate, string received, long queued, int inFlight, long failed, string retries, string timeLeft);

    [LoggerMessage(5001, LogLevel.Warning, "Metrics on {Address} are reachable from the network: anyone who can connect to that port can read them. Bind 127.0.0.1 unless a firewall or container network keeps them private.")]
    public static partial void MetricsReachable(ILogger logger, string address);
}
