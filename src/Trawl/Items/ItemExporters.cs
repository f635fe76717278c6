namespace Trawl.Items;

/// <summary>Creates item exporters by file extension.</summary>
public static class ItemExporters
{
    /// <summary>The extensions <see cref="FormatOf"/> knows, for messages.</summary>
    private const string SupportedExtensions = ".jsonl or .ndjson (JSON Lines), .json (JSON array) and .csv (CSV)";

    /// <summary>The format a path's extension names: <c>.jsonl</c> or <c>.ndjson</c>, <c>.json</c>, or <c>.csv</c> (any case).</summary>
    /// <exception cref="ArgumentException">The extension is none of those.</exception>
    public static ItemFormat FormatOf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var extension = Path.GetExtension(path);
        if (extension.Equals(".jsonl", StringComparison.OrdinalIgnoreCase) || extension.Equals(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            return ItemFormat.JsonLines;
        }

        if (extension.Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            return ItemFormat.Json;
        }

        if (extension.Equals(".csv", StringComparison.OrdinalIgnoreCase))
        {
            return ItemFormat.Csv;
        }

        var found = extension.Length == 0 ? "has no extension" : $"has the extension '{extension}'";
        // No parameter name: the message is shown to users as it is, and names the path itself.
        throw new ArgumentException($"The output '{path}' {found}; the supported extensions are {SupportedExtensions}.");
    }

    /// <summary>
    /// Opens an exporter that streams items to <paramref name="path"/> as UTF-8 (no BOM) with <c>\n</c> line endings.
    /// </summary>
    /// <param name="path">The output file. Its directory must exist.</param>
    /// <param name="format">The format to write.</param>
    /// <param name="resumeAt">
    /// <see langword="null"/> or 0 to create the file, or empty it if it exists. Otherwise the
    /// <see cref="IItemExporter.Position"/> a durable job recorded: the existing file is truncated to that many bytes
    /// (which drops a torn last item left by a crash, and the closing bracket of a JSON array) and appended to.
    /// </param>
    /// <param name="append">
    /// With <paramref name="resumeAt"/> <see langword="null"/>: whether to append to what the file holds rather than
    /// empty it. JSON Lines go after its last line, a JSON array's items inside the array, CSV rows under its header
    /// row (in its columns). Nothing in the file changes until items are written.
    /// </param>
    /// <exception cref="ItemExportException">
    /// The file cannot be created or opened for writing (the message names it and says why); when resuming, it is
    /// missing, shorter than <paramref name="resumeAt"/>, or does not end an item there; when appending, it is not of
    /// its format (a <c>.json</c> file that is not an array, a <c>.csv</c> file without a header row).
    /// </exception>
    internal static IItemExporter Create(string path, ItemFormat format, long? resumeAt, bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!Enum.IsDefined(format))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown item format.");
        }

        if (resumeAt < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(resumeAt), resumeAt, "The position to resume at must not be negative.");
        }

        var fullPath = Path.GetFullPath(path);
        var at = resumeAt ?? 0;
        if (resumeAt is null && append)
        {
            var appended = ExportFile.OpenForAppend(fullPath);
            try
            {
                return format switch
                {
                    ItemFormat.JsonLines => JsonLinesItemExporter.OpenAppend(fullPath, appended),
                    ItemFormat.Json => JsonArrayItemExporter.OpenAppend(fullPath, appended),
                    _ => CsvItemExporter.OpenAppend(fullPath, appended),
                };
            }
            catch
            {
                appended.Dispose();
                throw;
            }
        }

        var stream = at == 0 ? ExportFile.Create(fullPath) : ExportFile.OpenForResume(fullPath, at);
        try
        {
            return format switch
            {
                ItemFormat.JsonLines => JsonLinesItemExporter.Open(fullPath, stream, at),
                ItemFormat.Json => JsonArrayItemExporter.Open(fullPath, stream, at),
                _ => CsvItemExporter.Open(fullPath, stream, at),
            };
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks, before a crawl starts, that items could be written to <paramref name="path"/>. An existing file is
    /// opened for writing and closed unchanged; otherwise the file is created and deleted again.
    /// </summary>
    /// <exception cref="ItemExportException">
    /// The file cannot be written: its directory is missing, the path is a directory, permission is denied, the file
    /// is read-only, or the file system is; the message names the path and the reason.
    /// </exception>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ExportFile.CheckWritable(Path.GetFullPath(path));
    }
}
