namespace Trawl.Items;

/// <summary>Opens output files and turns the ways that can fail into one <see cref="ItemExportException"/> each.</summary>
internal static class ExportFile
{
    /// <summary>Creates the file, or empties it if it exists.</summary>
    public static FileStream Create(string fullPath)
    {
        ThrowIfNotAFile(fullPath);
        ThrowIfReadOnly(fullPath);
        return Open(fullPath, FileMode.Create, FileAccess.Write);
    }

    /// <summary>
    /// Opens an existing file to resume at <paramref name="length"/> bytes, without changing it yet: the caller checks
    /// the bytes before that point, then calls <see cref="Truncate"/>.
    /// </summary>
    public static FileStream OpenForResume(string fullPath, long length)
    {
        ThrowIfNotAFile(fullPath);
        if (!File.Exists(fullPath))
        {
            throw new ItemExportException(
                fullPath,
                $"Cannot resume writing items to '{fullPath}': the file is missing, but the job recorded {length} bytes written to it. " +
                "Restore the file, or start the job again.",
                null);
        }

        ThrowIfReadOnly(fullPath);
        var stream = Open(fullPath, FileMode.Open, FileAccess.ReadWrite);
        long actual;
        try
        {
            actual = stream.Length;
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            stream.Dispose();
            throw Failure(fullPath, ex);
        }

        if (actual < length)
        {
            stream.Dispose();
            throw new ItemExportException(
                fullPath,
                $"Cannot resume writing items to '{fullPath}': the file holds {actual} bytes, but the job recorded {length} bytes written to it, " +
                "so it was truncated or replaced. Restore the file, or start the job again.",
                null);
        }

        return stream;
    }

    /// <summary>Cuts the file to <paramref name="length"/> bytes (dropping a torn last item) and moves to its end.</summary>
    public static void Truncate(FileStream stream, string fullPath, long length)
    {
        try
        {
            stream.SetLength(length);
            stream.Position = length;
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            throw Failure(fullPath, ex);
        }
    }

    /// <summary>Reads up to <paramref name="count"/> bytes at <paramref name="offset"/>; fewer at the end of the file.</summary>
    public static byte[] ReadAt(FileStream stream, string fullPath, long offset, int count)
    {
        try
        {
            stream.Position = offset;
            var bytes = new byte[count];
            var read = stream.ReadAtLeast(bytes, count, throwOnEndOfStream: false);
            return read == count ? bytes : bytes[..read];
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            throw Failure(fullPath, ex);
        }
    }

    /// <summary>
    /// Throws unless <paramref name="fullPath"/> could be written, leaving an existing file as it is. A disk with no
    /// room for one more byte counts as unwritable.
    /// </summary>
    public static void CheckWritable(string fullPath)
    {
        ThrowIfNotAFile(fullPath);
        if (File.Exists(fullPath))
        {
            ThrowIfReadOnly(fullPath);

            // Opening for writing without truncating changes neither the contents nor the modification time. The room
            // left is probed beside it, so the file itself stays untouched.
            using (Open(fullPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
            }

            var directory = Path.GetDirectoryName(fullPath) ?? ".";
            var sibling = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.trawl-probe");
            using var roomProbe = Open(sibling, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.DeleteOnClose);
            ProbeRoom(roomProbe, fullPath);
            return;
        }

        // The probe is the target itself, so it meets the same permissions, and it is gone when closed.
        using var probe = Open(fullPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.DeleteOnClose);
        ProbeRoom(probe, fullPath);
    }

    // Creating an empty file needs no free space; one byte, flushed to the disk, does.
    private static void ProbeRoom(FileStream probe, string fullPath)
    {
        try
        {
            probe.WriteByte((byte)'\n');
            probe.Flush(flushToDisk: true);
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            throw Failure(fullPath, ex);
        }
    }

    /// <summary>Whether an exception is a failure of the file system rather than a bug.</summary>
    public static bool IsIoFailure(Exception ex) => ex is IOException or UnauthorizedAccessException or NotSupportedException;

    /// <summary>The exception for a failed open, read or write of <paramref name="fullPath"/>.</summary>
    public static ItemExportException Failure(string fullPath, Exception ex)
    {
        if (ex is ItemExportException export)
        {
            return export;
        }

        var reason = ex switch
        {
            _ when FileErrors.IsDiskFull(ex) => "the disk is full",
            DirectoryNotFoundException => MissingDirectoryReason(fullPath),
            FileNotFoundException => $"the file cannot be created in '{Path.GetDirectoryName(fullPath)}'",
            UnauthorizedAccessException => "permission denied",
            PathTooLongException => "the path is too long",
            _ => ex.Message.TrimEnd('.'),
        };
        return Unwritable(fullPath, reason, ex);
    }

    private static FileStream Open(string fullPath, FileMode mode, FileAccess access, FileShare share = FileShare.Read, FileOptions options = FileOptions.None)
    {
        try
        {
            // Unbuffered: the exporter assembles each batch in its own buffer, so a failed write leaves nothing behind
            // in the stream that a later flush or dispose would try to write again.
            return new FileStream(fullPath, mode, access, share, bufferSize: 0, options);
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            throw Failure(fullPath, ex);
        }
    }

    private static void ThrowIfNotAFile(string fullPath)
    {
        if (Directory.Exists(fullPath))
        {
            throw Unwritable(fullPath, "it is a directory", null);
        }

        var directory = Path.GetDirectoryName(fullPath);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw Unwritable(fullPath, MissingDirectoryReason(fullPath), null);
        }
    }

    private static void ThrowIfReadOnly(string fullPath)
    {
        // Checked by attribute too, because a process running as root could otherwise write a file marked read-only.
        if (File.Exists(fullPath) && (File.GetAttributes(fullPath) & FileAttributes.ReadOnly) != 0)
        {
            throw Unwritable(fullPath, "the file is read-only", null);
        }
    }

    private static string MissingDirectoryReason(string fullPath)
    {
        var directory = Path.GetDirectoryName(fullPath);
        return directory is not null && File.Exists(directory)
            ? $"'{directory}' is a file, not a directory"
            : $"the directory '{directory}' does not exist";
    }

    private static ItemExportException Unwritable(string fullPath, string reason, Exception? inner) =>
        new(fullPath, $"Cannot write items to '{fullPath}': {reason}.", inner);
}
