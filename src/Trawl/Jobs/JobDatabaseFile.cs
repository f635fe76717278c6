using System.Buffers.Binary;

namespace Trawl.Jobs;

/// <summary>
/// Checks the 100-byte header of an existing <c>job.db</c> before SQLite opens it, so a truncated or foreign file is
/// reported rather than "repaired": SQLite silently turns an empty file into a new database.
/// </summary>
internal static class JobDatabaseFile
{
    private const int HeaderSize = 100;

    /// <summary>The size of a write-ahead log's header; a longer log holds frames.</summary>
    private const int WalHeaderSize = 32;

    /// <summary>Reads and checks the header of <paramref name="path"/>, a file that exists.</summary>
    /// <exception cref="JobDirectoryException">The file is unreadable, truncated, not SQLite, or not a trawl job.</exception>
    public static void Inspect(string directory, string path)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        long length;
        int read;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
            length = file.Length;
            read = file.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw JobDirectoryException.Unreadable(directory, $"{JobSchema.DatabaseFileName}: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw JobDirectoryException.Unreadable(directory, $"{JobSchema.DatabaseFileName}: {ex.Message}", ex);
        }

        if (length == 0)
        {
            throw JobDirectoryException.Corrupt(directory, $"{JobSchema.DatabaseFileName} is empty");
        }

        if (read < HeaderSize)
        {
            throw JobDirectoryException.Corrupt(directory, $"{JobSchema.DatabaseFileName} is truncated to {length} bytes");
        }

        if (!header[..16].SequenceEqual("SQLite format 3\0"u8))
        {
            throw JobDirectoryException.Corrupt(directory, $"{JobSchema.DatabaseFileName} is not a SQLite database");
        }

        // Page size: a power of two from 512 to 32768, or 1 for 65536.
        int pageSize = BinaryPrimitives.ReadUInt16BigEndian(header[16..]);
        if (pageSize == 1)
        {
            pageSize = 65536;
        }

        if (pageSize < 512 || (pageSize & (pageSize - 1)) != 0)
        {
            throw JobDirectoryException.Corrupt(directory, $"{JobSchema.DatabaseFileName} has an invalid header: page size {pageSize}");
        }

        // A checkpoint that stops half way (the disk fills, the process dies) can leave the main file ending mid-page
        // or shorter than its header says, while the write-ahead log still holds every page and SQLite reads them from
        // it. With a log that has frames, the file's length proves nothing: SQLite's integrity check has the last word.
        var logHasFrames = new FileInfo(path + "-wal") is { Exists: true, Length: > WalHeaderSize };
        if (length < pageSize || (!logHasFrames && length % pageSize != 0))
        {
            throw JobDirectoryException.Corrupt(directory, $"{JobSchema.DatabaseFileName} is truncated: {length} bytes is not a whole number of {pageSize}-byte pages");
        }

        // The page count in the header is trustworthy when its "valid-for" counter matches the change counter. The main
        // file is never shorter than its last completed checkpoint, even when newer pages wait in the write-ahead log.
        var changeCounter = BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
        var pageCount = BinaryPrimitives.ReadUInt32BigEndian(header[28..]);
        var validFor = BinaryPrimitives.ReadUInt32BigEndian(header[92..]);
        if (!logHasFrames && validFor == changeCounter && pageCount > 0 && (long)pageCount * pageSize > length)
        {
            throw JobDirectoryException.Corrupt(directory, $"{JobSchema.DatabaseFileName} is truncated: {length} bytes of {(long)pageCount * pageSize}");
        }

        var applicationId = BinaryPrimitives.ReadInt32BigEndian(header[68..]);
        if (applicationId != JobSchema.ApplicationId)
        {
            throw JobDirectoryException.NotAJob(directory, $"its SQLite application id is 0x{applicationId:x8}, not trawl's 0x{JobSchema.ApplicationId:x8}");
        }
    }
}
