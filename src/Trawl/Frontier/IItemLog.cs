namespace Trawl.Frontier;

/// <summary>
/// Implemented by durable frontiers that keep committed items, so an exporter can resume exactly where it
/// stopped: it records how far it has written, and after a crash replays only what came after.
/// </summary>
public interface IItemLog
{
    /// <summary>Reads up to <paramref name="max"/> committed items with a sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken);

    /// <summary>Reads the export checkpoint of one output: the last item written and the output's length after it.</summary>
    ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken);

    /// <summary>Records the export checkpoint of one output.</summary>
    ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken);
}

/// <summary>How far an exporter has written.</summary>
/// <param name="Sequence">The sequence of the last item written; 0 for none.</param>
/// <param name="Position">The output file's length in bytes after that item.</param>
public readonly record struct ExportCheckpoint(long Sequence, long Position)
{
    /// <summary>
    /// How many items the output file holds up to <see cref="Position"/> (items a pipeline dropped are not in it), or
    /// <see langword="null"/> when the item log does not record it. A finished output is checked against it.
    /// </summary>
    public long? Items { get; init; }

    /// <summary>
    /// Whether this checkpoint was recorded, rather than the default an item log gives for an output it has none of. An
    /// output's writer records one (at sequence 0, where it began writing) as soon as it opens the file.
    /// </summary>
    public bool IsRecorded => Sequence > 0 || Position > 0 || Items is not null;
}
