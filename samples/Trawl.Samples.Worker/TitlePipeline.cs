using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Trawl.Items;

namespace Trawl.Samples.Worker;

/// <summary>
/// An item pipeline made by dependency injection (its logger comes from the host): trims each page's title, and
/// notes the pages that have none.
/// </summary>
public sealed partial class TitlePipeline(ILogger<TitlePipeline> logger) : ItemPipeline
{
    public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item["Title"]?.GetValue<string>() is { } title)
        {
            item["Title"] = title.Trim();
        }
        else
        {
            LogUntitled(logger, item["Url"]?.GetValue<string>() ?? "?");
        }

        return ValueTask.FromResult<JsonObject?>(item);
    }

    [LoggerMessage(1, LogLevel.Debug, "Page without a title: {Url}")]
    private static partial void LogUntitled(ILogger logger, string url);
}
