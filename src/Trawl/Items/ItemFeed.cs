using System.Collections.Concurrent;
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
/// <para>Faults stay with their item. A pipeline that throws on a batch is run again on halves of it, each item afresh
/// from its committed JSON, down to the single items it throws on; those fail as <see cref="PipelineError"/> and the rest
/// go on (so a pipeline may see an item more than once, as on a replay). An item the exporter cannot write (it throws
/// something other than an I/O failure) is found the same way and fails as <see cref="ExporterError"/>. A failed item
/// is logged once with its exception, counted (<see cref="Failed"/>, <see cref="FailuresByKind"/>), not exported, and,
/// when the item log is an <see cref="IItemFailureLog"/> (a job's), recorded there, so it is never exported later.</para>
/// <para>A failure of the output itself (a write, or recording the checkpoint or the failures) is fatal: the feed stops
/// and <see cref="Fault"/> holds the error, which <see cref="WriteAsync"/> and <see cref="CompleteAsync"/> then throw.</para>
/// </remarks>
public sealed class ItemFeed : IAsyncDisposable
{
    /// <summary>The error kind of an item a pipeline threw on.</summary>
    public const string PipelineError = "pipeline_error";

    /// <summary>The error kind of an item the exporter could not write.</summary>
    public const string ExporterError = "exporter_error";

    private readonly Channel<CommittedItem> _channel;
    private readonly IItemFailureLog? _failureLog;
    private readonly ConcurrentDictionary<string, long> _failuresByKind = new(StringComparer.Ordinal);

    // The batch being processed (one at a time, on the single consumer): its parsed items, the committed item behind
    // each (index for index), the items parsed again while finding a pipeline's failures, and the failures found.
    private readonly List<CommittedItem> _sources = [];
    private readonly List<(JsonObject Item, long Sequence)> _reparsed = [];
    private readonly List<ItemFailure> _batchFailures = [];
    private List<JsonObject> _batchObjects = [];
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
    private long _failed;
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
        _failureLog = options.ItemLog as IItemFailureLog;
        _logger = options.Logger;
        _batchSize = options.BatchSize;
        _replayPageSize = options.ReplayPageSize;
        Items = new ItemList(options.MaxResultItems);
    }

    /// <summary>Items written to the output (replayed ones included), or kept in <see cref="Items"/> when there is no output.</summary>
    public long Exported => Interlocked.Read(ref _exported);

    /// <summary>Items dropped: by a pipeline returning <see langword="null"/>, or because they were not JSON objects.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The part of <see cref="Dropped"/> dropped because the item was not a JSON object. (Items a pipeline threw on are <see cref="Failed"/>.)</summary>
    public long DroppedByError => Interlocked.Read(ref _droppedByError);

    /// <summary>Items that failed: a pipeline threw on them, or the exporter could not write them.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary><see cref="Failed"/> by kind: <see cref="PipelineError"/> and <see cref="ExporterError"/>.</summary>
    public IReadOnlyDictionary<string, long> FailuresByKind => _failuresByKind;

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
                if (checkpoint.IsRecorded)
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
        _batchObjects = objects;
        _sources.Clear();
        _reparsed.Clear();
        _batchFailures.Clear();
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
                _sources.Add(item);
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

        var survivors = objects.Count == 0 ? objects : await RunPipelinesAsync(objects, cancellationToken).ConfigureAwait(false);
        var pipelineFailures = _batchFailures.Count;
        int kept;
        if (_exporter is not null)
        {
            if (survivors.Count > 0)
            {
                await ExportAsync(_exporter, survivors, cancellationToken).ConfigureAwait(false);
            }

            // Those the exporter failed on were not written.
            kept = survivors.Count - (_batchFailures.Count - pipelineFailures);
            _outputItems += kept;
            await RecordFailuresAsync(cancellationToken).ConfigureAwait(false);
            if (_itemLog is not null)
            {
                await CheckpointAsync(_itemLog, new ExportCheckpoint(last, _exporter.Position) { Items = _outputItems }, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            kept = KeepInResult(survivors);
            await RecordFailuresAsync(cancellationToken).ConfigureAwait(false);
        }

        Volatile.Write(ref _lastSequence, last);
        Interlocked.Add(ref _exported, kept);
        Interlocked.Add(ref _dropped, Math.Max(0, accepted - pipelineFailures - survivors.Count));
        Interlocked.Add(ref _droppedByError, invalid);
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

    // Runs the batch through every pipeline. When one throws, the items it threw on are found by running the
    // pipelines again on halves of the batch, down to single items; the rest go on.
    private async ValueTask<IReadOnlyList<JsonObject>> RunPipelinesAsync(List<JsonObject> objects, CancellationToken cancellationToken)
    {
        if (_pipelines.Length == 0)
        {
            return objects;
        }

        try
        {
            return await RunChainAsync(objects, cancellationToken).ConfigureAwait(false);
        }
        catch (PipelineFault fault)
        {
            if (objects.Count == 1)
            {
                FailItem(_sources[0].Sequence, PipelineError, fault.Pipeline, fault.InnerException!);
                return [];
            }

            Log.ItemPipelineBatchFailed(_logger, fault.Pipeline, objects.Count, fault.InnerException!.Message);
            var survivors = new List<JsonObject>();
            await IsolatePipelineFaultsAsync(0, objects.Count, survivors, cancellationToken).ConfigureAwait(false);
            return survivors;
        }
    }

    // Each item afresh from its committed JSON: the pipelines may have changed it before one threw.
    private async ValueTask IsolatePipelineFaultsAsync(int start, int count, List<JsonObject> survivors, CancellationToken cancellationToken)
    {
        var items = new List<JsonObject>(count);
        for (var i = start; i < start + count; i++)
        {
            var item = Parse(_sources[i])!;
            items.Add(item);
            _reparsed.Add((item, _sources[i].Sequence));
        }

        try
        {
            survivors.AddRange(await RunChainAsync(items, cancellationToken).ConfigureAwait(false));
        }
        catch (PipelineFault fault)
        {
            if (count == 1)
            {
                FailItem(_sources[start].Sequence, PipelineError, fault.Pipeline, fault.InnerException!);
                return;
            }

            var half = count / 2;
            await IsolatePipelineFaultsAsync(start, half, survivors, cancellationToken).ConfigureAwait(false);
            await IsolatePipelineFaultsAsync(start + half, count - half, survivors, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<IReadOnlyList<JsonObject>> RunChainAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        var current = items;
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
                throw new PipelineFault(pipeline.GetType().FullName ?? pipeline.GetType().Name, ex);
            }
        }

        // A batch override may hand back null entries; treat them as dropped.
        return current.Contains(null!) ? [.. current.Where(static item => item is not null)] : current;
    }

    // Writes the items; when the exporter throws on them (not an I/O failure: it has cut the file back), the items it
    // cannot write are found by writing halves, down to single items; the rest are written, in order.
    private async ValueTask ExportAsync(IItemExporter exporter, IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        try
        {
            await exporter.WriteAsync(items, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsItemFault(ex, cancellationToken))
        {
            if (items.Count == 1)
            {
                FailItem(SequenceOf(items[0]), ExporterError, exporter.GetType().Name, ex);
                return;
            }

            var half = items.Count / 2;
            await ExportAsync(exporter, [.. items.Take(half)], cancellationToken).ConfigureAwait(false);
            await ExportAsync(exporter, [.. items.Skip(half)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ItemExportException && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new ItemExportException(_outputKey!, $"Cannot write items to '{_outputKey}': {ex.Message.TrimEnd('.')}.", ex);
        }
    }

    // What an item brings on itself, as opposed to a failure of the output (I/O, a broken or closed exporter) or a stop.
    private static bool IsItemFault(Exception ex, CancellationToken cancellationToken) =>
        ex is not (ItemExportException or ObjectDisposedException)
        && !ExportFile.IsIoFailure(ex)
        && !(ex is OperationCanceledException && cancellationToken.IsCancellationRequested);

    // The sequence of an item in the batch: found by identity, since pipelines hand items on (or new ones in their place).
    private long? SequenceOf(JsonObject item)
    {
        for (var i = 0; i < _batchObjects.Count; i++)
        {
            if (ReferenceEquals(_batchObjects[i], item))
            {
                return _sources[i].Sequence;
            }
        }

        foreach (var (reparsed, sequence) in _reparsed)
        {
            if (ReferenceEquals(reparsed, item))
            {
                return sequence;
            }
        }

        return null;
    }

    private void FailItem(long? sequence, string kind, string where, Exception exception)
    {
        Log.ItemFailed(_logger, exception, sequence?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?", where, kind);
        _batchFailures.Add(new ItemFailure(sequence, kind, $"{where}: {exception.GetType().Name}: {exception.Message}"));
        _failuresByKind.AddOrUpdate(kind, 1, static (_, n) => n + 1);
        Interlocked.Increment(ref _failed);
    }

    private async ValueTask RecordFailuresAsync(CancellationToken cancellationToken)
    {
        if (_failureLog is null || _batchFailures.Count == 0)
        {
            return;
        }

        try
        {
            await _failureLog.RecordItemFailuresAsync([.. _batchFailures], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            throw new ItemExportException(_outputKey ?? string.Empty, $"Cannot record failed items in the job: {ex.Message.TrimEnd('.')}.", ex);
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

    /// <summary>A pipeline threw; carries its name to where the item is failed.</summary>
    private sealed class PipelineFault(string pipeline, Exception inner) : Exception(inner.Message, inner)
    {
        public string Pipeline { get; } = pipeline;
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
