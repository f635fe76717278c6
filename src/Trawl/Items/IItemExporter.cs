using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>The formats items can be exported in.</summary>
public enum ItemFormat
{
    /// <summary>JSON Lines: one compact JSON object per line (<c>.jsonl</c> or <c>.ndjson</c>).</summary>
    JsonLines,

    /// <summary>
    /// One JSON array (<c>.json</c>), one item per line. The closing bracket is written when the crawl finishes or
    /// pauses, so the file is valid JSON whenever no crawl is writing it (after a kill, until the next run); a resumed
    /// job cuts it off and carries on.
    /// </summary>
    Json,

    /// <summary>
    /// Comma-separated values with a header row (<c>.csv</c>). The columns are the first item's top-level keys, in
    /// order (or the header of the file appended to): a later item's missing keys give empty fields, and an item with
    /// a key the header lacks is refused with a message naming it, never written without it.
    /// Strings, numbers and booleans are written as plain text, <c>null</c> as an empty field, objects and arrays as
    /// compact JSON; fields holding a comma, quote, CR or LF are quoted as in RFC 4180. Lines end with <c>\n</c>.
    /// </summary>
    Csv,
}

/// <summary>
/// Streams items to a file as the crawl runs. <see cref="Position"/> is the file's length after the items written
/// so far; a durable job records it, and a resumed exporter truncates the file back to it, which also removes a
/// torn last line left by a crash.
/// </summary>
internal interface IItemExporter : IAsyncDisposable
{
    /// <summary>The output's length in bytes after everything written and flushed so far.</summary>
    long Position { get; }

    /// <summary>Appends items and flushes them to disk.</summary>
    ValueTask WriteAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken);

    /// <summary>Finishes the file (for example the closing bracket of a JSON array) after the last item.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Ends the file as <see cref="CompleteAsync"/> does when a crawl pauses, without counting the end in <see cref="Position"/>, so more items can follow later.</summary>
    ValueTask SealAsync(CancellationToken cancellationToken);
}
