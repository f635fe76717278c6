using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Trawl.Frontier;

namespace Trawl.Items;

/// <summary>
/// The single background consumer between the engine and the item output. The engine hands over committed items
/// with <see cref="WriteAsync"/>; they wait in a bounded buffer (awaiting a full buffer is the backpressure), and
/// one reader takes them in batches, runs the pipelines in order, and writes the survivors to the exporter, or keeps
/// them in <see cref="Items"/> when there is no output.
/// </summary>
/// <remarks>
/// <para>Exactly once: with an output and an <see cref="IItemLog"/>, the feed records an <see cref="ExportCheckpoint"/>
/// (the last item's sequence, the file's length after it) after each batch is on disk. On start it truncates the file
/// back to the last checkpoint and replays the committed items after it before taking live ones, and it skips live
/// items that replay already covered. Items a pipeline drops still advance the checkpoint.</para>
/// <para>Items must be handed over in commit order (increasing <see cref="CommittedItem.Sequence"/>), so
/// <see cref="WriteAsync"/> must not be called concurrently. An item at or below the last sequence is skipped.</para>
/// <para>Replayed items pass through the pipelines again, so a pipeline's own side effects (a database insert, say)
/// happen at least once, not exactly once.</para>
/// <para>A pipeline that throws drops that batch (logged, counted in <see cref="Dropped"/> and
/// <see cref="DroppedByError"/>) and the feed carries on. A failure of the output (a write, or recording the
/// checkpoint) is fatal: the feed stops and <see cref="Fault"/> holds the error, which <see cref="WriteAsync"/> and
/// <see cref="CompleteAsync"/> then throw.</para>
/// </remarks>
public sealed class ItemFeed : IAsyncDisposable
{
    private readonly Channel<CommittedItem> _channel;
    private readonly ItemPipeline[] _pipelines;
    private readonly IItemLog? _itemLog;
    private readonly string? _outputKey;
    private readonly bool _overwrite;
    private readonly string? _owner;
    private readonly ILogger _logger;
    private readonly int _batchSize;
    private readonly int _replayPageSize;
    private readonly CancellationTokenSource _abort = new();
    private IItemExporter? _exporter;
    private Task _loop = Task.CompletedTask;
    private int _openedPipelines;
    private long _lastSequence;
    private long _replayedThrough;
    private long _exported;
    private long _dropped;
    private long _droppedByError;
    private long _replayed;
    private long _outputItems;
    private ItemExportException? _fault;
    private int _completing;
    private bool _finished;
    private int _disposed;
    private bool _truncationLogged;

    private ItemFeed(ItemFeedOptions options)
    {
        _channel = Channel.CreateBounded<CommittedItem>(new BoundedChannelOptions(options.BufferSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _pipelines = [.. options.Pipelines];
        _outputKey = options.Output is null ? null : Path.GetFullPath(options.Output);
        _itemLog = options.Output is null ? null : options.ItemLog;
        _overwrite = options.Overwrite;
        _owner = options.Owner;
        _logger = options.Logger;
        _batchSize = options.BatchSize;
        _replayPageSize = options.ReplayPageSize;
        Items = new ItemList(options.MaxResultItems);
    }

    /// <summary>Items written to the output (replayed ones included), or kept in <see cref="Items"/> when there is no output.</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <summary>Items dropped: by a pipeline returning <see langword="null"/>, by a pipeline that threw, or because they were not JSON objects.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The part of <see cref="Dropped"/> dropped by an error: a pipeline that threw, or an item that was not a JSON object.</summary>
    public long DroppedByError => Interlocked.Read(ref _droppedByError);

    /// <summary>Committed items replayed from the item log when the feed started.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>The sequence of the last item processed (exported or dropped).</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>
    /// The items kept when there is no output, at most <see cref="ItemFeedOptions.MaxResultItems"/>; empty when there is
    /// an output. Read it after <see cref="CompleteAsync"/>.
    /// </summary>
    public ItemList Items { get; }

    /// <summary>The output failure that stopped the feed, or <see langword="null"/>.</summary>
    public ItemExportException? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Opens the output and the pipelines, and, when resuming, replays the committed items the output lacks; then
    /// starts taking live items.
    /// </summary>
    /// <exception cref="ItemExportException">The output cannot be opened, resumed, or written while replaying.</exception>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static async ValueTask<ItemFeed> StartAsync(ItemFeedOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var feed = new ItemFeed(options);
        try
        {
            await feed.OpenAsync(options.Output, options.Format, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await feed.AbandonAsync().ConfigureAwait(false);
            throw;
        }

        feed._loop = feed.RunAsync();
        return feed;
    }

    /// <summary>
    /// Hands committed items to the feed, in commit order. Returns once they are buffered; waits while the buffer is full.
    /// </summary>
    /// <exception cref="ItemExportException">The output failed (see <see cref="Fault"/>).</exception>
    /// <exception cref="InvalidOperationException">The feed was completed.</exception>
    public async ValueTask WriteAsync(IReadOnlyList<CommittedItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ThrowIfFaulted();
        var writer = _channel.Writer;
        for (var i = 0; i < items.Count; i++)
        {
            if (writer.TryWrite(items[i]))
            {
                continue;
            }

            try
            {
                await writer.WriteAsync(items[i], cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                ThrowIfFaulted();
                throw new InvalidOperationException("The item feed is complete; no more items can be written.");
            }
        }
    }

    /// <summary>
    /// Stops taking items, writes everything buffered, closes the pipelines and the output. Calling it again waits
    /// for the first call's work (its <paramref name="finished"/> wins).
    /// </summary>
    /// <param name="finished">
    /// Whether the crawl finished. Only then is the output completed (the closing bracket of a JSON array): a paused
    /// durable crawl leaves the array open so a resumed run can append to it.
    /// </param>
    /// <param name="cancellationToken">Cancelling stops at once: buffered items are not written (a durable job replays them).</param>
    /// <exception cref="ItemExportException">The output failed (see <see cref="Fault"/>).</exception>
    public async ValueTask CompleteAsync(bool finished, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _completing, 1) == 0)
        {
            Volatile.Write(ref _finished, finished);
            _channel.Writer.TryComplete();
        }

        using (cancellationToken.Register(static state => ((ItemFeed)state!).Abort(), this))
        {
            await _loop.ConfigureAwait(false);
        }

        ThrowIfFaulted();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Completes the feed as a paused crawl would (<c>CompleteAsync(finished: false)</c>) unless it was completed; never throws an output failure.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await CompleteAsync(finished: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ItemExportException)
        {
            // Already logged, and kept in Fault.
        }

        _abort.Dispose();
    }

    private async Task OpenAsync(string? output, ItemFormat? format, CancellationToken cancellationToken)
    {
        if (output is not null)
        {
            format ??= ItemExporters.FormatOf(output);
            long? resumeAt = null;
            long? recordedItems = null;
            if (_itemLog is not null)
            {
                // A checkpoint at sequence 0 records where this output's writing began (the end of what the file held
                // before): resuming there drops what a crash left of the first batch, and nothing that was there.
                var checkpoint = await _itemLog.GetExportCheckpointAsync(_outputKey!, cancellationToken).ConfigureAwait(false);
                if (checkpoint.Sequence > 0 || checkpoint.Position > 0 || checkpoint.Items is not null)
                {
                    resumeAt = checkpoint.Position;
                    recordedItems = checkpoint.Items;
                    _lastSequence = checkpoint.Sequence;
                    Log.ItemOutputResuming(_logger, _outputKey!, checkpoint.Sequence, checkpoint.Position);
                }
            }

            _exporter = ItemExporters.Create(output, format.Value, resumeAt, append: !_overwrite);

            // The items already in the file, for the check of the finished file: as recorded, or counted when the item
            // log does not record them.
            if (_exporter is FileItemExporter file && _exporter.Position > 0)
            {
                _outputItems = resumeAt > 0 ? recordedItems ?? file.CountItems(resumeAt.Value) : file.CountItems(_exporter.Position);
                if (resumeAt is null)
                {
                    Log.ItemOutputAppending(_logger, _outputKey!, _outputItems, _exporter.Position);
                }
            }

            if (resumeAt is null && _itemLog is not null)
            {
                await CheckpointAsync(_itemLog, new ExportCheckpoint(0, _exporter.Position) { Items = _outputItems }, cancellationToken).ConfigureAwait(false);
            }

            if (_owner is not null && _exporter is FileItemExporter { IsRegularFile: true } && OutputOwner.TryWrite(_outputKey!, _owner) is { } reason)
            {
                Log.OutputOwnerMarkFailed(_logger, _outputKey!, reason);
            }
        }

        foreach (var pipeline in _pipelines)
        {
            await pipeline.OpenAsync(cancellationToken).ConfigureAwait(false);
            _openedPipelines++;
        }

        if (_itemLog is not null)
        {
            await ReplayAsync(_itemLog, cancellationToken).ConfigureAwait(false);
        }

        _replayedThrough = _lastSequence;
    }

    private async Task ReplayAsync(IItemLog itemLog, CancellationToken cancellationToken)
    {
        long replayed = 0;
        while (true)
        {
            var page = await itemLog.ReadItemsAsync(_lastSequence, _replayPageSize, cancellationToken).ConfigureAwait(false);
            var processed = page.Count == 0 ? 0 : await ProcessAsync(page, cancellationToken).ConfigureAwait(false);
            if (processed == 0)
            {
                break;
            }

            replayed += processed;
            Interlocked.Add(ref _replayed, processed);
        }

        if (replayed > 0)
        {
            Log.ItemsReplayed(_logger, replayed, _outputKey!, _lastSequence);
        }
    }

    private async Task RunAsync()
    {
        var token = _abort.Token;
        var reader = _channel.Reader;
        var batch = new List<CommittedItem>(_batchSize);
        var aborted = false;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (batch.Count < _batchSize && reader.TryRead(out var item))
                {
                    batch.Add(item);
                }

                await ProcessAsync(batch, token).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            aborted = true;
        }
        catch (Exception ex)
        {
            Fail(ex);
        }

        await CloseAsync(aborted, token).ConfigureAwait(false);
    }

    /// <summary>Runs one batch through the pipelines to the output; returns how many items were new.</summary>
    private async ValueTask<int> ProcessAsync(IReadOnlyList<CommittedItem> batch, CancellationToken cancellationToken)
    {
        var objects = new List<JsonObject>(batch.Count);
        var last = _lastSequence;
        var accepted = 0;
        var invalid = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            var item = batch[i];
            if (item.Sequence <= last)
            {
                // At or below what replay covered is expected (the engine may hand those over too); above it, the
                // items came out of commit order, and this one cannot be exported without breaking the checkpoint.
                if (item.Sequence > _replayedThrough)
                {
                    Log.ItemOutOfOrder(_logger, item.Sequence, last);
                }

                continue;
            }

            last = item.Sequence;
            accepted++;
            if (Parse(item) is { } parsed)
            {
                objects.Add(parsed);
            }
            else
            {
                invalid++;
            }
        }

        if (accepted == 0)
        {
            return 0;
        }

        var (survivors, failed) = await RunPipelinesAsync(objects, cancellationToken).ConfigureAwait(false);
        var kept = survivors.Count;
        if (_exporter is not null)
        {
            if (survivors.Count > 0)
            {
                await ExportAsync(_exporter, survivors, cancellationToken).ConfigureAwait(false);
                _outputItems += survivors.Count;
            }

            if (_itemLog is not null)
            {
                await CheckpointAsync(_itemLog, new ExportCheckpoint(last, _exporter.Position) { Items = _outputItems }, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            kept = KeepInResult(survivors);
        }

        Volatile.Write(ref _lastSequence, last);
        Interlocked.Add(ref _exported, kept);
        Interlocked.Add(ref _dropped, Math.Max(0, accepted - survivors.Count));
        Interlocked.Add(ref _droppedByError, invalid + failed);
        return accepted;
    }

    private JsonObject? Parse(CommittedItem item)
    {
        try
        {
            if (item.Json is not null && JsonNode.Parse(item.Json) is JsonObject parsed)
            {
                return parsed;
            }

            Log.ItemNotAnObject(_logger, item.Sequence, null);
        }
        catch (JsonException ex)
        {
            Log.ItemNotAnObject(_logger, item.Sequence, ex);
        }

        return null;
    }

    private async ValueTask<(IReadOnlyList<JsonObject> Survivors, int Failed)> RunPipelinesAsync(
        List<JsonObject> items, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonObject> current = items;
        foreach (var pipeline in _pipelines)
        {
            if (current.Count == 0)
            {
                break;
            }

            try
            {
                current = await pipeline.ProcessBatchAsync(current, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"{pipeline.GetType().Name}.ProcessBatchAsync returned null instead of a list.");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // One bad batch should not end the crawl: drop it and carry on.
                Log.ItemPipelineFailed(_logger, pipeline.GetType().FullName ?? pipeline.GetType().Name, current.Count, ex);
                return ([], current.Count);
            }
        }

        // A batch override may hand back null entries; treat them as dropped.
        return (current.Contains(null!) ? [.. current.Where(static item => item is not null)] : current, 0);
    }

    private async ValueTask ExportAsync(IItemExporter exporter, IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        try
        {
            await exporter.WriteAsync(items, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ItemExportException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new ItemExportException(_outputKey!, $"Cannot write items to '{_outputKey}': {ex.Message.TrimEnd('.')}.", ex);
        }
    }

    private async ValueTask CheckpointAsync(IItemLog itemLog, ExportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        try
        {
            await itemLog.SetExportCheckpointAsync(_outputKey!, checkpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new ItemExportException(
                _outputKey!,
                $"Cannot record how far items were written to '{_outputKey}': {ex.Message.TrimEnd('.')}.",
                ex);
        }
    }

    private int KeepInResult(IReadOnlyList<JsonObject> items)
    {
        var before = Items.Count;
        foreach (var item in items)
        {
            Items.Add(item);
        }

        if (Items.Truncated && !_truncationLogged)
        {
            _truncationLogged = true;
            Log.ResultItemsTruncated(_logger, Items.Capacity);
        }

        return Items.Count - before;
    }

    private async ValueTask CloseAsync(bool aborted, CancellationToken cancellationToken)
    {
        await ClosePipelinesAsync(cancellationToken).ConfigureAwait(false);
        if (_exporter is null)
        {
            return;
        }

        try
        {
            if (Volatile.Read(ref _finished) && !aborted && Fault is null)
            {
                await _exporter.CompleteAsync(cancellationToken).ConfigureAwait(false);

                // A finished crawl's job is removed after this: only once the file is verified to hold what was written.
                (_exporter as FileItemExporter)?.VerifyComplete(_outputItems);
                if (_owner is not null)
                {
                    OutputOwner.Remove(_outputKey!, _owner);
                }
            }
            else if (!aborted && Fault is null)
            {
                // Paused: the file is left whole (a JSON array closed) while nothing writes it; a resumed job reopens it.
                await _exporter.SealAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Fail(ex);
        }

        try
        {
            await _exporter.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex))
        {
            Fail(ex);
        }
    }

    private async ValueTask ClosePipelinesAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _openedPipelines; i++)
        {
            try
            {
                await _pipelines[i].CloseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.ItemPipelineCloseFailed(_logger, _pipelines[i].GetType().FullName ?? _pipelines[i].GetType().Name, ex);
            }
        }
    }

    /// <summary>Cleans up after a failed start.</summary>
    private async ValueTask AbandonAsync()
    {
        _channel.Writer.TryComplete();
        await ClosePipelinesAsync(CancellationToken.None).ConfigureAwait(false);
        if (_exporter is not null)
        {
            await _exporter.DisposeAsync().ConfigureAwait(false);
        }

        _abort.Dispose();
    }

    private void Fail(Exception ex)
    {
        var fault = ex as ItemExportException
            ?? new ItemExportException(_outputKey ?? string.Empty, $"Item output failed: {ex.Message.TrimEnd('.')}.", ex);
        if (Interlocked.CompareExchange(ref _fault, fault, null) is null)
        {
            // An output failure the message explains (a full disk, a file removed) is no bug: no stack trace for it.
            Log.ItemOutputFailed(_logger, fault.Message, ExportFile.IsIoFailure(ex) ? null : ex);

            // Writers waiting on a full buffer wake up and see the fault; buffered items are abandoned (a durable job replays them).
            _channel.Writer.TryComplete(fault);
        }
    }

    private void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The feed is already disposed, so there is nothing left to stop.
        }
    }

    private void ThrowIfFaulted()
    {
        if (Fault is { } fault)
        {
            ExceptionDispatchInfo.Throw(fault);
        }
    }
}
