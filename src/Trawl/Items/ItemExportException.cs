namespace Trawl.Items;

/// <summary>
/// Items cannot be written to an output file: it cannot be created or opened for writing, a write failed (for
/// example because the disk is full), or a resumed job's file no longer matches what the job recorded.
/// The message names the file and the reason.
/// </summary>
public sealed class ItemExportException : IOException, IOperationalError
{
    /// <summary>Creates an exception with a default message.</summary>
    public ItemExportException()
        : base("Items cannot be written to the output file.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public ItemExportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ItemExportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    internal ItemExportException(string path, string message, Exception? innerException)
        : base(message, innerException) => OutputPath = path;

    /// <summary>The full path of the output file, when known.</summary>
    public string? OutputPath { get; }

    /// <summary>What went wrong with the output file.</summary>
    public ItemExportProblem Problem { get; internal init; }
}

/// <summary>What went wrong with an output file, for a caller that acts on it (an exit code, advice to the user).</summary>
public enum ItemExportProblem
{
    /// <summary>The file could not be created, opened or written (a missing directory, no permission, a full disk).</summary>
    Unwritable,

    /// <summary>Another run is writing the file: a configuration problem, not a failure of this run.</summary>
    InUse,

    /// <summary>
    /// The file was changed or removed behind the crawl's back, so items written to it may be missing: a durable job
    /// still holds them, and writes them all to a new output.
    /// </summary>
    Changed,
}
