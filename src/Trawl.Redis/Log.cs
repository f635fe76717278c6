using Microsoft.Extensions.Logging;

namespace Trawl.Redis;

/// <summary>
/// Every log message of Trawl.Redis, with stable event ids 3000-3099. Endpoints are logged as
/// <see cref="RedisUrl.RedactedUrl"/> and error messages only after <see cref="RedisConnection.Sanitize"/>, so a
/// password never reaches a log.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(3000, LogLevel.Information, "Redis frontier for spider {Spider} on {Endpoint} (worker {Worker}, dedup {Dedup}).")]
    public static partial void Connected(ILogger logger, string spider, string endpoint, string worker, string dedup);

    [LoggerMessage(3001, LogLevel.Warning, "Lost the connection to Redis at {Endpoint} ({FailureType}): {Error}")]
    public static partial void ConnectionFailed(ILogger logger, string endpoint, string failureType, string error);

    [LoggerMessage(3002, LogLevel.Information, "Reconnected to Redis at {Endpoint}.")]
    public static partial void ConnectionRestored(ILogger logger, string endpoint);

    [LoggerMessage(3003, LogLevel.Warning, "Redis {Operation} failed (attempt {Attempt}): {Error}. Retrying in {Delay}.")]
    public static partial void OperationRetrying(ILogger logger, string operation, int attempt, string error, TimeSpan delay);

    [LoggerMessage(3004, LogLevel.Information, "Redis {Operation} succeeded after {Attempts} attempts ({Elapsed}).")]
    public static partial void OperationRecovered(ILogger logger, string operation, int attempts, TimeSpan elapsed);

    [LoggerMessage(3005, LogLevel.Error, "Redis {Operation} gave up after {Elapsed} of failures: {Error}")]
    public static partial void OperationGaveUp(ILogger logger, string operation, TimeSpan elapsed, string error);

    [LoggerMessage(3006, LogLevel.Information, "Worker {Worker} took back {Count} leases of its previous run.")]
    public static partial void LeasesReclaimed(ILogger logger, string worker, long count);

    [LoggerMessage(3007, LogLevel.Warning, "{Count} start_urls messages were neither a URL nor a JSON request; see the seeds_invalid list. First: {Reason}")]
    public static partial void SeedsInvalid(ILogger logger, int count, string reason);

    [LoggerMessage(3008, LogLevel.Warning, "A start_urls claim lapsed before its seeds were scheduled; they were put back for another worker.")]
    public static partial void SeedClaimLapsed(ILogger logger);

    [LoggerMessage(3009, LogLevel.Warning, "Crawl {Spider} records dedup '{Recorded}'; using it instead of the configured '{Configured}'.")]
    public static partial void DedupAdopted(ILogger logger, string spider, string recorded, string configured);

    [LoggerMessage(3010, LogLevel.Error, "Request entry {EntryId} holds no valid request ({Error}); it is set aside in the corrupt list.")]
    public static partial void CorruptRequest(ILogger logger, string entryId, string error);

    [LoggerMessage(3011, LogLevel.Debug, "{Lost} of {Count} leases could not be renewed: they expired or were taken back.")]
    public static partial void LeasesLost(ILogger logger, int lost, int count);

    [LoggerMessage(3012, LogLevel.Information, "Crawl {Spider} paused cluster-wide.")]
    public static partial void ClusterPaused(ILogger logger, string spider);

    [LoggerMessage(3013, LogLevel.Information, "Crawl {Spider} resumed cluster-wide.")]
    public static partial void ClusterResumed(ILogger logger, string spider);

    [LoggerMessage(3014, LogLevel.Debug, "Scheduled {Added} of {Count} seeds from start_urls.")]
    public static partial void SeedsScheduled(ILogger logger, long added, int count);

    [LoggerMessage(3015, LogLevel.Warning, "{Count} damaged values were set aside in {Key}, with their raw values, instead of being used; 'trawl status --frontier' shows them.")]
    public static partial void EntriesSetAside(ILogger logger, long count, string key);

    [LoggerMessage(3016, LogLevel.Warning, "The export checkpoint {Field} in {Key} is damaged ('{Value}'); the output is written again from the first item.")]
    public static partial void CheckpointDamaged(ILogger logger, string key, string field, string value);

    [LoggerMessage(3017, LogLevel.Warning, "Worker {Worker} was taken for dead (no liveness beat heard for {Timeout}): its leases went back to the others, and its completions of them are refused. It carries on.")]
    public static partial void TakenForDead(ILogger logger, string worker, TimeSpan timeout);

    [LoggerMessage(3018, LogLevel.Warning, "Worker {Worker}'s liveness beat failed: {Error}")]
    public static partial void BeatFailed(ILogger logger, string worker, string error);
}
