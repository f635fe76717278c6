using Microsoft.Extensions.Logging;

namespace Trawl;

/// <summary>Log messages. Item output uses event ids 4000 to 4099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Resuming output {Output} after item {Sequence} at byte {Position}")]
    public static partial void ItemOutputResuming(ILogger logger, string output, long sequence, long position);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Replayed {Count} committed items into output {Output}, up to item {Sequence}")]
    public static partial void ItemsReplayed(ILogger logger, long count, string output, long sequence);


    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Item pipeline {Pipeline} failed to close")]
    public static partial void ItemPipelineCloseFailed(ILogger logger, string pipeline, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Item {Sequence} is not a JSON object; it is dropped")]
    public static partial void ItemNotAnObject(ILogger logger, long sequence, Exception? exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Item {Sequence} arrived after item {Last} and is not exported: items must be handed to the feed in commit order")]
    public static partial void ItemOutOfOrder(ILogger logger, long sequence, long last);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Critical, Message = "Item output failed; no more items are exported: {Reason}")]
    public static partial void ItemOutputFailed(ILogger logger, string reason, Exception? exception);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "The result keeps at most {Capacity} items; later items are not kept (set an output file to keep them all)")]
    public static partial void ResultItemsTruncated(ILogger logger, int capacity);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Item {Sequence} failed in {Where} ({Kind}); it is not exported")]
    public static partial void ItemFailed(ILogger logger, Exception exception, string sequence, string where, string kind);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Debug, Message = "Item pipeline {Pipeline} failed on a batch of {Count} items ({Reason}); running them again in smaller batches to find the items it fails on")]
    public static partial void ItemPipelineBatchFailed(ILogger logger, string pipeline, int count, string reason);

    [LoggerMessage(EventId = 4050, Level = LogLevel.Information, Message = "Appending items to output {Output}, which holds {Items} items already (at byte {Position})")]
    public static partial void ItemOutputAppending(ILogger logger, string output, long items, long position);

    [LoggerMessage(EventId = 4051, Level = LogLevel.Warning, Message = "Cannot mark output {Output} as the job's while it is unfinished ({Reason}); another run aimed at it will not be told it belongs to this job")]
    public static partial void OutputOwnerMarkFailed(ILogger logger, string output, string reason);
}
