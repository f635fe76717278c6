namespace Trawl.Items;

/// <summary>Creates item exporters by file extension.</summary>
public static class ItemExporters
{
    /// <summary>The format a path's extension names.</summary>
    /// <exception cref="ArgumentException">The extension is not .jsonl, .json or .csv.</exception>
    public static ItemFormat FormatOf(string path) => throw new NotImplementedException();

    /// <summary>Opens an exporter. With <paramref name="resumeAt"/>, the file is truncated to that length and appended to.</summary>
    public static IItemExporter Create(string path, ItemFormat format, long? resumeAt) => throw new NotImplementedException();
}
