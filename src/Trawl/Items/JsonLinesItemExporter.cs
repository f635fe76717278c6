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

    /// <summary>
    /// Wraps a file opened to append to: items go after its last line. A last line without its line feed gets one
    /// first, so that it stays a line of its own.
    /// </summary>
    public static JsonLinesItemExporter OpenAppend(string fullPath, FileStream stream)
    {
        EndWithLineFeed(stream, fullPath);
        return new JsonLinesItemExporter(fullPath, stream);
    }

    /// <summary>Moves to the end of the file, first adding a line feed if the file does not end with one.</summary>
    internal static void EndWithLineFeed(FileStream stream, string fullPath)
    {
        if (!stream.CanSeek)
        {
            return;
        }

        var length = stream.Length;
        if (length > 0 && ExportFile.ReadAt(stream, fullPath, length - 1, 1) is not [(byte)'\n'])
        {
            try
            {
                stream.Position = length;
                stream.Write("\n"u8);
                stream.Flush(flushToDisk: true);
            }
            catch (Exception ex) when (ExportFile.IsIoFailure(ex))
            {
                throw ExportFile.Failure(fullPath, ex);
            }
        }

        stream.Position = stream.Length;
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
        ExportFile.NotAsRecorded(fullPath, $"byte {resumeAt} is not the end of {what}, so the file was changed since the job recorded it");
}
