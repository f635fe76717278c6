using Microsoft.Extensions.Logging;
using Trawl.Logging;

namespace Trawl.Redis;

/// <summary>
/// Every log message of Trawl.Redis, with stable event ids 3000-3099. Endpoints are logged as
/// <see cref="RedisUrl.RedactedUrl"/> and error messages only after <see cref="RedisConnection.Sanitize"/>, so a
/// password never reaches a log. Counts and durations are written by <see cref="Wording"/>, as in the core's log
/// messages.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Redis frontier for spider {Spider} on {Endpoint} (worker {Worker}, dedup {Dedup}).")]
    public static partial void Connected(ILogger logger, string spider, string endpoint, string worker, string dedup);

    [LoggerMessage(3001, LogLevel.Warning, "Lost the connection to Redis at {Endpoint} ({FailureType}): {Error}")]
    public static partial void ConnectionFailed(ILogger logger, string endpoint, string failureType, string error);

    [LoggerMessage(3002, LogLevel.Information, "Reconnected to Redis at {Endpoint}.")]
    public static partial void ConnectionRestored(ILogger logger, string endpoint);

    public static void OperationRetrying(ILogger logger, string operation, int attempt, string error, TimeSpan delay)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            OperationRetryingMessage(logger, operation, attempt, error, Wording.Duration(delay));
        }
    }

    [LoggerMessage(3003, LogLevel.Warning, "Redis {Operation} failed (attempt {Attempt}): {Error}. Retrying in {Delay}.")]
    private static partial void OperationRetryingMessage(ILogger logger, string operation, int attempt, string error, string delay);

    public static void OperationRecovered(ILogger logger, string operation, int attempts, TimeSpan elapsed)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            OperationRecoveredMessage(logger, operation, Wording.Count(attempts, "attempt"), Wording.Duration(elapsed));
        }
    }

    [LoggerMessage(3004, LogLevel.Information, "Redis {Operation} succeeded after {Attempts} ({Elapsed}).")]
    private static partial void OperationRecoveredMessage(ILogger logger, string operation, string attempts, string elapsed);

    public static void OperationGaveUp(ILogger logger, string operation, TimeSpan elapsed, string error)
    {
        if (logger.IsEnabled(LogLevel.Error))
        {
            OperationGaveUpMessage(logger, operation, Wording.Duration(elapsed), error);
        }
    }

    [LoggerMessage(3005, LogLevel.Error, "Redis {Operation} gave up after {Elapsed} of failures: {Error}")]
    private static partial void OperationGaveUpMessage(ILogger logger, string operation, string elapsed, string error);

    public static void LeasesReclaimed(ILogger logger, string worker, long count)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            LeasesReclaimedMessage(logger, worker, Wording.Count(count, "lease"));
        }
    }

    [LoggerMessage(3006, LogLevel.Information, "Worker {Worker} took back {Leases} of its previous run.")]
    private static partial void LeasesReclaimedMessage(ILogger logger, string worker, string leases);

    public static void SeedsInvalid(ILogger logger, int count, string reason)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            SeedsInvalidMessage(logger, Wording.Count(count, "start_urls message"), reason);
        }
    }

    [LoggerMessage(3007, LogLevel.Warning, "Set aside {Messages} that hold neither a URL nor a JSON request, in the seeds_invalid list. First: {Reason}")]
    private static partial void SeedsInvalidMessage(ILogger logger, string messages, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "A start_urls claim lapsed before its seeds were scheduled; they were put back for another worker.")]
    public static partial void SeedClaimLapsed(ILogger logger);

    [LoggerMessage(3009, LogLevel.Warning, "Crawl {Spider} records dedup '{Recorded}'; using it instead of the configured '{Configured}'.")]
    public static partial void DedupAdopted(ILogger logger, string spider, string recorded, string configured);

    [LoggerMessage(3010, LogLevel.Error, "Request entry {EntryId} holds no valid request ({Error}); it is set aside in the corrupt list.")]
    public static partial void CorruptRequest(ILogger logger, string entryId, string error);

    public static void LeasesLost(ILogger logger, int lost, int count)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LeasesLostMessage(logger, lost, Wording.Count(count, "lease"));
        }
    }

    [LoggerMessage(3011, LogLevel.Debug, "Could not renew {Lost} of {Leases}: expired, or taken back.")]
    private static partial void LeasesLostMessage(ILogger logger, int lost, string leases);

    [LoggerMessage(3012, LogLevel.Information, "Crawl {Spider} paused cluster-wide.")]
    public static partial void ClusterPaused(ILogger logger, string spider);

    [LoggerMessage(3013, LogLevel.Information, "Crawl {Spider} resumed cluster-wide.")]
    public static partial void ClusterResumed(ILogger logger, string spider);

    public static void SeedsScheduled(ILogger logger, long added, int count)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            SeedsScheduledMessage(logger, added, Wording.Count(count, "seed"));
        }
    }

    [LoggerMessage(3014, LogLevel.Debug, "Scheduled {Added} of {Seeds} from start_urls.")]
    private static partial void SeedsScheduledMessage(ILogger logger, long added, string seeds);

    public static void EntriesSetAside(ILogger logger, long count, string key)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            EntriesSetAsideMessage(logger, Wording.Count(count, "damaged value"), key);
        }
    }

    [LoggerMessage(3015, LogLevel.Warning, "Set aside {Values} in {Key}, with their raw values, instead of using them; 'trawl status --frontier' shows them.")]
    private static partial void EntriesSetAsideMessage(ILogger logger, string values, string key);

    [LoggerMessage(3016, LogLevel.Warning, "The export checkpoint {Field} in {Key} is damaged ('{Value}'); the output is written again from the first item.")]
    public static partial void CheckpointDamaged(ILogger logger, string key, string field, string value);

    public static void TakenForDead(ILogger logger, string worker, TimeSpan timeout)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            TakenForDeadMessage(logger, worker, Wording.Duration(timeout));
        }
    }

    [LoggerMessage(3017, LogLevel.Warning, "Worker {Worker} was taken for dead (no liveness beat heard for {Timeout}): its leases went back to the others, and its completions of them are refused. It carries on.")]
    private static partial void TakenForDeadMessage(ILogger logger, string worker, string timeout);

    [LoggerMessage(3018, LogLevel.Warning, "Worker {Worker}'s liveness beat failed: {Error}")]
    public static partial void BeatFailed(ILogger logger, string worker, string error);
}
