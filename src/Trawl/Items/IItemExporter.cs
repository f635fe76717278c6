using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>The formats items can be exported in.</summary>
public enum ItemFormat
{
    /// <summary>JSON Lines: one JSON object per line (<c>.jsonl</c>).</summary>
    JsonLines,

    /// <summary>One JSON array (<c>.json</c>).</summary>
    Json,

    /// <summary>Comma-separated values with a header row (<c>.csv</c>).</summary>
    Csv,
}

/// <summary>
/// Streams items to a file as the crawl runs. <see cref="Position"/> is the file's length after the items written
/// so far; a durable job records it, and a resumed exporter truncates the file back to it, which also removes a
/// torn last line left by a crash.
/// </summary>
public interface IItemExporter : IAsyncDisposable
{
    /// <summary>The output's length in bytes after everything written and flushed so far.</summary>
    long Position { get; }

    /// <summary>Appends items and flushes them to disk.</summary>
    ValueTask WriteAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken);

    /// <summary>Finishes the file (for example the closing bracket of a JSON array) after the last item.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);
}
