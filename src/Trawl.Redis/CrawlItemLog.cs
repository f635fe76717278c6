using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Trawl.Frontier;

namespace Trawl.Redis;

/// <summary>
/// The crawl's item log (the <c>items</c> stream) and export checkpoints (the <c>exports</c> hash), as one reader sees
/// them: a worker's own share of the items with its checkpoints, or the whole log with <c>trawl export</c>'s.
/// </summary>
internal sealed class CrawlItemLog : IItemLog
{
    // How many stream entries one look at a share's items goes through: its items are scattered among the others'.
    private const int ShareWindow = 1000;
    private readonly CrawlScripts _scripts;
    private readonly string _share;
    private readonly string _checkpointPrefix;
    private readonly ILogger _logger;

    /// <param name="scripts">The crawl.</param>
    /// <param name="share">The items of this share only (<see cref="RedisFrontierOptions.ItemShare"/>), or empty for all.</param>
    /// <param name="checkpointPrefix">Prefixed to an output's name in the exports hash, so two readers' checkpoints stay apart.</param>
    /// <param name="logger">Where a damaged checkpoint is reported.</param>
    public CrawlItemLog(CrawlScripts scripts, string share, string checkpointPrefix, ILogger logger)
    {
        _scripts = scripts;
        _share = share;
        _checkpointPrefix = checkpointPrefix;
        _logger = logger;
    }

    public async ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        var items = new List<CommittedItem>();
        while (true)
        {
            var args = _scripts.Args().Add(afterSequence).Add(max).Add(_share.Length == 0 ? max : Math.Max(max, ShareWindow)).Add(_share);
            var reply = (RedisResult[])(await _scripts.EvalAsync(RedisScripts.Items, args, cancellationToken).ConfigureAwait(false))!;
            for (var i = 1; i + 1 < reply.Length; i += 2)
            {
                items.Add(new CommittedItem(long.Parse((string)reply[i]!, CultureInfo.InvariantCulture), (byte[])reply[i + 1]!));
            }

            var last = long.Parse((string)reply[0]!, CultureInfo.InvariantCulture);
            if (items.Count > 0 || last == 0)
            {
                return items;
            }

            afterSequence = last;
        }
    }

    /// <remarks>A checkpoint that is not "sequence position" (damaged by hand) is reported and read as none: the
    /// output is then written again from the first item, complete, rather than resumed from a guess.</remarks>
    public async ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var field = _checkpointPrefix + output;
        var value = await _scripts.Connection.RunAsync("hget", db => db.HashGetAsync(_scripts.Keys.Exports, field), cancellationToken).ConfigureAwait(false);
        if (value.IsNull)
        {
            return default;
        }

        // "sequence position", then " items" when the count was recorded.
        var text = (string)value!;
        var parts = text.Split(' ');
        if (parts.Length is 2 or 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var position))
        {
            long? items = parts.Length == 3 && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
            if (parts.Length == 2 || items is not null)
            {
                return new ExportCheckpoint(sequence, position) { Items = items };
            }
        }

        Log.CheckpointDamaged(_logger, _scripts.Keys.Exports, field, text.Length > 100 ? text[..100] : text);
        return default;
    }

    public async ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        var args = _scripts.Args()
            .Add(_checkpointPrefix + output)
            .Add(checkpoint.Items is { } items
                ? string.Create(CultureInfo.InvariantCulture, $"{checkpoint.Sequence} {checkpoint.Position} {items}")
                : string.Create(CultureInfo.InvariantCulture, $"{checkpoint.Sequence} {checkpoint.Position}"));
        await _scripts.EvalAsync(RedisScripts.Checkpoint, args, cancellationToken).ConfigureAwait(false);
    }
}
