using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>
/// One stage of the item pipeline: transforms, validates or drops items before they are exported.
/// Stages run in order on a single background consumer fed by a bounded buffer
/// (<see cref="Crawling.CrawlOptions.ItemBufferSize"/>), so a slow stage holds callbacks back by at most that
/// many items and never blocks downloads beyond it.
/// </summary>
/// <remarks>
/// A stage that throws fails only the items it threw on (kind <c>pipeline_error</c>, logged and counted; a job records
/// them and never exports them) and the crawl carries on: to find them, the batch is run again through the stages in
/// halves, each item afresh from its committed JSON. So, as when a durable crawl resumes and the items committed after
/// the output's last checkpoint pass through the stages again, a stage's own side effects (a database insert, say)
/// happen at least once rather than exactly once.
/// </remarks>
public abstract class ItemPipeline
{
    /// <summary>Called once before the first item.</summary>
    public virtual ValueTask OpenAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Processes one item. Return the item (changed or not) to pass it on, or <see langword="null"/> to drop it.</summary>
    public abstract ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken);

    /// <summary>
    /// Processes the items that arrived together. Override to batch (for example one database insert for many items).
    /// Returns the items to pass on. The default calls <see cref="ProcessAsync"/> for each.
    /// </summary>
    public virtual async ValueTask<IReadOnlyList<JsonObject>> ProcessBatchAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var kept = new List<JsonObject>(items.Count);
        foreach (var item in items)
        {
            var result = await ProcessAsync(item, cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                kept.Add(result);
            }
        }

        return kept;
    }

    /// <summary>Called once after the last item, when the crawl ends.</summary>
    public virtual ValueTask CloseAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
