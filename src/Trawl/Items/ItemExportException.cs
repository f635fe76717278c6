namespace Trawl.Items;

/// <summary>
/// Items cannot be written to an output file: it cannot be created or opened for writing, a write failed (for
/// example because the disk is full), or a resumed job's file no longer matches what the job recorded.
/// The message names the file and the reason.
/// </summary>
public sealed class ItemExportException : IOException
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

    /// <summary>Whether the file is being written by another run (a configuration problem, not a failure of this run).</summary>
    internal bool InUse { get; init; }
}
