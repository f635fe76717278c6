using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trawl.Logging;

namespace Trawl.Items;

/// <summary>
/// The part every file exporter shares: each batch is assembled in a buffer and written to the file in chunks,
/// then flushed to disk before <see cref="WriteAsync"/> returns, so <see cref="Position"/> only ever counts
/// durable bytes. A failed or cancelled batch is cut off the file again, leaving it as it was.
/// </summary>
internal abstract class FileItemExporter : IItemExporter
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Output files are not embedded in HTML, so non-ASCII text is written as itself (readable UTF-8) rather than
    /// as <c>\uXXXX</c> escapes.
    /// </summary>
    protected static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(ChunkSize);
    private readonly Utf8JsonWriter _json;
    private long _pendingOffset;
    private long _completedLength = -1;
    private Exception? _broken;
    private bool _completed;
    private bool _disposed;

    protected FileItemExporter(string fullPath, FileStream stream)
    {
        FullPath = fullPath;
        _stream = stream;
        // Counted rather than read back from the stream, so a non-seekable output (a pipe, say) works too.
        Position = stream.CanSeek ? stream.Position : 0;
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = Encoder, Indented = false });
    }

    /// <summary>The output file's full path.</summary>
    public string FullPath { get; }

    /// <inheritdoc />
    public long Position { get; private set; }

    /// <summary>The format this exporter writes.</summary>
    internal abstract ItemFormat Format { get; }

    /// <inheritdoc />
    public async ValueTask WriteAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ThrowIfUnusable();
        if (items.Count == 0)
        {
            return;
        }

        var start = Position;
        _pendingOffset = start;
        try
        {
            foreach (var item in items)
            {
                ArgumentNullException.ThrowIfNull(item, nameof(items));
                AppendItem(item, _pendingOffset + _buffer.WrittenCount);
                if (_buffer.WrittenCount >= ChunkSize)
                {
                    await WriteBufferAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await WriteBufferAsync(cancellationToken).ConfigureAwait(false);
            _stream.Flush(flushToDisk: true);
            Position = _pendingOffset;
        }
        catch (Exception ex)
        {
            RollBack(start);
            if (ExportFile.IsIoFailure(ex))
            {
                throw ExportFile.Failure(FullPath, ex);
            }

            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>Calling it again does nothing.</remarks>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_completed && !_disposed)
        {
            return;
        }

        ThrowIfUnusable();
        _pendingOffset = Position;
        try
        {
            AppendEnd(Position);
            if (_buffer.WrittenCount > 0)
            {
                await WriteBufferAsync(cancellationToken).ConfigureAwait(false);
                _stream.Flush(flushToDisk: true);
            }

            _completedLength = _pendingOffset;
            _completed = true;
        }
        catch (Exception ex)
        {
            RollBack(Position);
            if (ExportFile.IsIoFailure(ex))
            {
                throw ExportFile.Failure(FullPath, ex);
            }

            throw;
        }
    }

    /// <summary>
    /// Counts the items in the file up to <paramref name="to"/>, a position an item ends at, reading through this
    /// exporter's own handle (on Linux, opening and closing another handle on the file would drop this process's lock on it).
    /// </summary>
    internal long CountItems(long to)
    {
        try
        {
            return OutputItems.Count(_stream.SafeFileHandle, Format, 0, to, endsAtItem: true);
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex))
        {
            throw ExportFile.Failure(FullPath, ex);
        }
    }

    /// <summary>
    /// Checks, after <see cref="CompleteAsync"/>, that the file at <see cref="FullPath"/> is the one this exporter wrote
    /// and holds all of it: it exists, its length is what was written, and it holds <paramref name="expectedItems"/> items.
    /// </summary>
    /// <exception cref="ItemExportException">The file is gone or differs; the message says how.</exception>
    internal void VerifyComplete(long expectedItems)
    {
        if (!_completed || _disposed)
        {
            throw new InvalidOperationException($"The exporter of '{FullPath}' must be complete, and not disposed, to verify its file.");
        }

        if (!_stream.CanSeek)
        {
            // A pipe or a device keeps nothing to read back.
            return;
        }

        FileInfo file;
        long counted;
        try
        {
            file = new FileInfo(FullPath);
            if (!file.Exists)
            {
                throw OutputChanged(FullPath, "the file is gone: it was deleted, or its directory removed, while the crawl ran");
            }

            counted = file.Length == _completedLength ? CountItems(_completedLength) : -1;
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex) && ex is not ItemExportException)
        {
            throw ExportFile.Failure(FullPath, ex);
        }

        if (counted < 0)
        {
            throw OutputChanged(FullPath, $"it holds {file.Length} bytes, but this crawl wrote {_completedLength}: another program changed or replaced it");
        }

        if (counted != expectedItems)
        {
            throw OutputChanged(FullPath, $"it holds {Wording.Count(counted, "item")}, but {expectedItems} were written to it: another program changed it");
        }
    }

    /// <summary>The exception for an output found changed or removed behind the exporter's back.</summary>
    internal static ItemExportException OutputChanged(string fullPath, string why) =>
        new(fullPath, $"The output '{fullPath}' is not as this crawl wrote it ({why}), so items may be missing from it.", null)
        {
            Problem = ItemExportProblem.Changed,
        };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _json.DisposeAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Appends one item, given the file offset its bytes will start at.</summary>
    protected abstract void AppendItem(JsonObject item, long offset);

    /// <summary>Appends what ends the file after the last item, given the file's length so far. Not counted in <see cref="Position"/>.</summary>
    protected virtual void AppendEnd(long offset)
    {
    }

    /// <summary>Appends one JSON value, compact.</summary>
    protected void AppendJson(JsonNode node)
    {
        _json.Reset(_buffer);
        node.WriteTo(_json);
        _json.Flush();
    }

    /// <summary>Appends raw bytes.</summary>
    protected void AppendRaw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>Appends text as UTF-8.</summary>
    protected void AppendText(ReadOnlySpan<char> text)
    {
        var span = _buffer.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        _buffer.Advance(System.Text.Encoding.UTF8.GetBytes(text, span));
    }

    private async ValueTask WriteBufferAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount == 0)
        {
            return;
        }

        await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        _pendingOffset += _buffer.WrittenCount;
        _buffer.ResetWrittenCount();
    }

    private void RollBack(long length)
    {
        _buffer.ResetWrittenCount();
        if (!_stream.CanSeek)
        {
            _broken = new IOException("the output cannot be cut back to its last complete item because it is not seekable");
            return;
        }

        try
        {
            _stream.SetLength(length);
            _stream.Position = length;
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex))
        {
            // The file may now hold part of a batch that Position does not count; writing after it would corrupt it.
            _broken = ex;
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_broken is not null)
        {
            throw new ItemExportException(
                FullPath,
                $"Cannot write items to '{FullPath}': an earlier write failed and the file could not be restored ({_broken.Message.TrimEnd('.')}).",
                _broken);
        }

        if (_completed)
        {
            throw new InvalidOperationException($"The exporter of '{FullPath}' is complete; no more items can be written.");
        }
    }
}
