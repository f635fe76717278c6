using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>
/// One JSON array: <c>[</c>, then the items as compact objects separated by <c>,\n</c>, then <c>\n]\n</c> from
/// <see cref="FileItemExporter.CompleteAsync"/> (or <see cref="FileItemExporter.SealAsync"/> when a crawl pauses).
/// <see cref="FileItemExporter.Position"/> never counts the closing bracket, so a resumed job truncates it away and
/// carries on with the next item.
/// </summary>
/// <remarks>
/// Appending to an existing array puts the items inside it, before its closing bracket, which stays in the file until
/// the first item is written.
/// </remarks>
internal sealed class JsonArrayItemExporter : FileItemExporter
{
    /// <summary>The length of the opening <c>[</c> this exporter writes to a new file.</summary>
    private const long HeaderLength = 1;

    /// <summary>The position just after the array's <c>[</c> when no element follows it there; -1 when the array has elements before <see cref="FileItemExporter.Position"/>.</summary>
    private readonly long _bodyStart;

    private JsonArrayItemExporter(string fullPath, FileStream stream, long bodyStart)
        : base(fullPath, stream) => _bodyStart = bodyStart;

    /// <summary>Wraps a file opened fresh, or opened to resume at <paramref name="resumeAt"/> (not yet truncated).</summary>
    public static JsonArrayItemExporter Open(string fullPath, FileStream stream, long resumeAt)
    {
        if (resumeAt <= 0)
        {
            return new JsonArrayItemExporter(fullPath, stream, HeaderLength);
        }

        var opening = OpeningBracket(stream, fullPath, resumeAt)
            ?? throw ExportFile.NotAsRecorded(fullPath, "it does not start with '[', so it is not the JSON array the job was writing");
        var last = ExportFile.LastNonWhitespace(stream, fullPath, 0, resumeAt);
        if (last != opening && !EndsValue(ExportFile.ReadAt(stream, fullPath, last, 1)[0]))
        {
            throw JsonLinesItemExporter.ResumeMismatch(fullPath, resumeAt, "an item");
        }

        ExportFile.Truncate(stream, fullPath, resumeAt);
        return new JsonArrayItemExporter(fullPath, stream, last == opening ? resumeAt : -1);
    }

    /// <summary>
    /// Wraps a file opened to append to: an empty file gets a new array; otherwise the file must hold one (start with
    /// <c>[</c> and end with <c>]</c>), and the items go inside it.
    /// </summary>
    /// <exception cref="ItemExportException">The file holds something other than a JSON array.</exception>
    public static JsonArrayItemExporter OpenAppend(string fullPath, FileStream stream)
    {
        var length = stream.CanSeek ? stream.Length : 0;
        var closing = length == 0 ? -1 : ExportFile.LastNonWhitespace(stream, fullPath, 0, length);
        if (closing < 0)
        {
            // Empty, or only whitespace (cut off when the first item is written).
            stream.Position = 0;
            return new JsonArrayItemExporter(fullPath, stream, HeaderLength);
        }

        var opening = OpeningBracket(stream, fullPath, length);
        if (opening is null || ExportFile.ReadAt(stream, fullPath, closing, 1) is not [(byte)']'])
        {
            throw new ItemExportException(
                fullPath,
                $"Cannot append items to '{fullPath}': it does not hold a JSON array (it should start with '[' and end with ']'), so items " +
                "cannot be added to it. Give another -o, or -O to overwrite the file.",
                null);
        }

        var last = ExportFile.LastNonWhitespace(stream, fullPath, 0, closing);
        stream.Position = last + 1;
        return new JsonArrayItemExporter(fullPath, stream, last == opening ? last + 1 : -1);
    }

    /// <inheritdoc />
    internal override ItemFormat Format => ItemFormat.Json;

    /// <inheritdoc />
    protected override void AppendItem(JsonObject item, long offset)
    {
        if (offset == 0)
        {
            AppendRaw("[\n"u8);
        }
        else if (offset == _bodyStart)
        {
            AppendRaw("\n"u8);
        }
        else
        {
            AppendRaw(",\n"u8);
        }

        AppendJson(item);
    }

    /// <inheritdoc />
    protected override void AppendEnd(long offset)
    {
        if (offset == 0)
        {
            AppendRaw("[]\n"u8);
        }
        else if (offset == _bodyStart)
        {
            AppendRaw("]\n"u8);
        }
        else
        {
            AppendRaw("\n]\n"u8);
        }
    }

    // The position of the array's '[': the first byte that is not whitespace (after a UTF-8 byte order mark), or null.
    private static long? OpeningBracket(FileStream stream, string fullPath, long limit)
    {
        var head = ExportFile.ReadAt(stream, fullPath, 0, (int)Math.Min(limit, 4096));
        var i = head.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        while (i < head.Length && head[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i < head.Length && head[i] == (byte)'[' ? i : null;
    }

    // The last byte of a JSON value: an object or array, a string, a number, true, false or null.
    private static bool EndsValue(byte b) => b is (byte)'}' or (byte)']' or (byte)'"' or (byte)'e' or (byte)'l' || char.IsAsciiDigit((char)b);
}
