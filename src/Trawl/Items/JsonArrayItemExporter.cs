using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>
/// One JSON array: <c>[</c>, then the items as compact objects separated by <c>,\n</c>, then <c>\n]\n</c> from
/// <see cref="FileItemExporter.CompleteAsync"/>. <see cref="FileItemExporter.Position"/> never counts the closing
/// bracket, so a resumed job truncates it away and carries on with the next item.
/// </summary>
internal sealed class JsonArrayItemExporter : FileItemExporter
{
    /// <summary>The length of the opening <c>[</c>; a file longer than this already holds an item.</summary>
    private const long HeaderLength = 1;

    private JsonArrayItemExporter(string fullPath, FileStream stream)
        : base(fullPath, stream)
    {
    }

    /// <summary>Wraps a file opened fresh, or opened to resume at <paramref name="resumeAt"/> (not yet truncated).</summary>
    public static JsonArrayItemExporter Open(string fullPath, FileStream stream, long resumeAt)
    {
        if (resumeAt > 0)
        {
            var first = ExportFile.ReadAt(stream, fullPath, 0, 1);
            if (first is not [(byte)'['])
            {
                throw new ItemExportException(
                    fullPath,
                    $"Cannot resume writing items to '{fullPath}': it does not start with '[', so it is not the JSON array the job was writing. " +
                    "Restore the file, or start the job again.",
                    null);
            }

            if (resumeAt > HeaderLength && ExportFile.ReadAt(stream, fullPath, resumeAt - 1, 1) is not [(byte)'}'])
            {
                throw JsonLinesItemExporter.ResumeMismatch(fullPath, resumeAt, "an item");
            }

            ExportFile.Truncate(stream, fullPath, resumeAt);
        }

        return new JsonArrayItemExporter(fullPath, stream);
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
        else if (offset == HeaderLength)
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
        else if (offset == HeaderLength)
        {
            AppendRaw("]\n"u8);
        }
        else
        {
            AppendRaw("\n]\n"u8);
        }
    }
}
