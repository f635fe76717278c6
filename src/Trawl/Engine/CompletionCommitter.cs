using Microsoft.Extensions.Logging;
using Trawl.Frontier;
using Trawl.Items;
using Trawl.Jobs;

namespace Trawl.Engine;

/// <summary>
/// What the <see cref="CommitLoop"/> does with each batch: applies it to the job (in one transaction with the spider's
/// state and cookies) or to the frontier, stops renewing its leases, counts the pages and skips the frontier accepted,
/// holds the items to <see cref="Crawling.CrawlOptions.ItemLimit"/>, and hands the committed items to the item feed, in commit
/// order. Called by the commit loop's single reader only.
/// </summary>
internal sealed class CompletionCommitter(
    JobSession? job,
    IFrontier frontier,
    LeaseHeartbeat? heartbeat,
    StatsCollector stats,
    ItemFeed feed,
    long? itemLimit,
    CrawlLifetime lifetime,
    ILogger logger)
{
    private long _itemsCommitted;
    private volatile bool _itemLimitReached;

    /// <summary>Whether <see cref="Crawling.CrawlOptions.ItemLimit"/> items have been committed: the run stops taking work.</summary>
    public bool ItemLimitReached => _itemLimitReached;

    /// <summary>Commits one batch.</summary>
    /// <exception cref="JobStoreFullException">The disk is full; nothing of the batch was committed.</exception>
    /// <exception cref="ItemExportException">The item output failed.</exception>
    public async ValueTask CommitAsync(List<Completion> batch)
    {
        var result = job is not null
            ? await job.CompleteAsync(batch, stats.InFlight, CancellationToken.None).ConfigureAwait(false)
            : await frontier.CompleteAsync(batch, CancellationToken.None).ConfigureAwait(false);
        if (heartbeat is not null)
        {
            foreach (var completion in batch)
            {
                heartbeat.Forget(completion.Lease);
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (!result.Accepted[i])
            {
                continue;
            }

            switch (batch[i].Status)
            {
                case CompletionStatus.Done:
                    stats.Page();
                    stats.Recrawled(batch[i].Recrawl);
                    break;
                case CompletionStatus.Skipped:
                    stats.Skipped(batch[i].ErrorKind);
                    break;
            }
        }

        var items = result.Items;
        if (itemLimit is { } limit)
        {
            var room = limit - _itemsCommitted;
            if (items.Count >= room)
            {
                items = [.. items.Take((int)Math.Max(room, 0))];
                if (!_itemLimitReached)
                {
                    _itemLimitReached = true;
                    Log.LimitReached(logger, "Item limit");
                    lifetime.Wake();
                }
            }
        }

        _itemsCommitted += items.Count;
        stats.AddItems(items.Count);
        if (items.Count > 0)
        {
            await feed.WriteAsync(items, lifetime.IsAborting ? CancellationToken.None : lifetime.Aborting).ConfigureAwait(false);
        }

        lifetime.Wake();
    }
}
