using Microsoft.Extensions.Logging;
using Trawl.Logging;

namespace Trawl;

/// <summary>Log messages. Item output uses event ids 4000 to 4099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Resuming output {Output} after item {Sequence} at byte {Position}")]
    public static partial void ItemOutputResuming(ILogger logger, string output, long sequence, long position);

    public static void ItemsReplayed(ILogger logger, long count, string output, long sequence)
    {
        if (logger.IsEnabled(LogLevel.Information))
        {
            ItemsReplayedMessage(logger, Wording.Count(count, "committed item"), output, sequence);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Replayed {Items} into output {Output}, up to item {Sequence}")]
    private static partial void ItemsReplayedMessage(ILogger logger, string items, string output, long sequence);


    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Item pipeline {Pipeline} failed to close")]
    public static partial void ItemPipelineCloseFailed(ILogger logger, string pipeline, Exception exception);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Item {Sequence} is not a JSON object; it is dropped")]
    public static partial void ItemNotAnObject(ILogger logger, long sequence, Exception? exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Item {Sequence} arrived after item {Last} and is not exported: items must be handed to the feed in commit order")]
    public static partial void ItemOutOfOrder(ILogger logger, long sequence, long last);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Critical, Message = "Item output failed; no more items are exported: {Reason}")]
    public static partial void ItemOutputFailed(ILogger logger, string reason, Exception? exception);

    public static void ResultItemsTruncated(ILogger logger, int capacity)
    {
        if (logger.IsEnabled(LogLevel.Warning))
        {
            ResultItemsTruncatedMessage(logger, Wording.Count(capacity, "item"));
        }
    }

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "The result keeps at most {Capacity}; later items are not kept (set an output file to keep them all)")]
    private static partial void ResultItemsTruncatedMessage(ILogger logger, string capacity);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Item {Sequence} failed in {Where} ({Kind}); it is not exported")]
    public static partial void ItemFailed(ILogger logger, Exception exception, string sequence, string where, string kind);

    public static void ItemPipelineBatchFailed(ILogger logger, string pipeline, int count, string reason)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            ItemPipelineBatchFailedMessage(logger, pipeline, Wording.Count(count, "item"), reason);
        }
    }

    [LoggerMessage(EventId = 4009, Level = LogLevel.Debug, Message = "Item pipeline {Pipeline} failed on a batch of {Items} ({Reason}); running them again in smaller batches to find the items it fails on")]
    private static partial void ItemPipelineBatchFailedMessage(ILogger logger, string pipeline, string items, string reason);
}
