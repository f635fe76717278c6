using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>JSON Lines: each item is one compact JSON object followed by <c>\n</c>.</summary>
internal sealed class JsonLinesItemExporter : FileItemExporter
{
    private JsonLinesItemExporter(string fullPath, FileStream stream)
        : base(fullPath, stream)
    {
    }

    /// <summary>Wraps a file opened fresh, or opened to resume at <paramref name="resumeAt"/> (not yet truncated).</summary>
    public static JsonLinesItemExporter Open(string fullPath, FileStream stream, long resumeAt)
    {
        if (resumeAt > 0)
        {
            // Every item ends with a newline, so a position recorded after an item is just after one.
            var last = ExportFile.ReadAt(stream, fullPath, resumeAt - 1, 1);
            if (last is not [(byte)'\n'])
            {
                throw ResumeMismatch(fullPath, resumeAt, "a line");
            }

            ExportFile.Truncate(stream, fullPath, resumeAt);
        }

        return new JsonLinesItemExporter(fullPath, stream);
    }

    /// <inheritdoc />
    internal override ItemFormat Format => ItemFormat.JsonLines;

    /// <inheritdoc />
    protected override void AppendItem(JsonObject item, long offset)
    {
        AppendJson(item);
        AppendRaw("\n"u8);
    }

    /// <summary>The exception for a recorded position that does not fall where an item ends.</summary>
    internal static ItemExportException ResumeMismatch(string fullPath, long resumeAt, string what) =>
        new(
            fullPath,
            $"Cannot resume writing items to '{fullPath}': byte {resumeAt} is not the end of {what}, so the file was changed since the job " +
            "recorded it. Restore the file, or start the job again.",
            null);
}
