namespace Trawl;

/// <summary>How the file system says what went wrong, for the two stores that write files: the job store and the exporters.</summary>
internal static class FileErrors
{
    /// <summary>Whether a file system error is ENOSPC or EDQUOT: no room left.</summary>
    public static bool IsDiskFull(Exception ex) =>
        ex is IOException { HResult: 28 or 122 or unchecked((int)0x80070070) } // ENOSPC, EDQUOT, ERROR_DISK_FULL
        || ex.Message.Contains("No space left on device", StringComparison.Ordinal);
}
