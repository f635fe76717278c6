using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;
using Trawl.FileSystem;

namespace Trawl.Items;

/// <summary>
/// Opens output files and turns the ways that can fail into one <see cref="ItemExportException"/> each.
/// </summary>
/// <remarks>
/// An output file belongs to one writer at a time. Within the process a registry of the paths being written says so;
/// across processes, on Linux, the writer holds a POSIX write lock (<c>fcntl</c>) on the whole file, taken before the
/// file is emptied. Readers are not held back: <c>fcntl</c> locks and the <c>flock</c> that .NET takes for every open
/// are independent, and other programs do not lock at all. On Windows the sharing mode already keeps a second writer out.
/// </remarks>
internal static class ExportFile
{
    /// <summary>The outputs being written in this process, by full path.</summary>
    private static readonly ConcurrentDictionary<string, byte> Claimed = new(StringComparer.Ordinal);

    /// <summary>
    /// Opens the file to append to it, creating it if it is missing, once it is this writer's alone. Nothing in it
    /// changes yet: the exporter decides where its items go.
    /// </summary>
    public static FileStream OpenForAppend(string fullPath)
    {
        ThrowIfNotAFile(fullPath);
        ThrowIfReadOnly(fullPath);
        return OpenClaimed(fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite);
    }

    /// <summary>Creates the file, or empties it if it exists, once it is this writer's alone.</summary>
    public static FileStream Create(string fullPath)
    {
        ThrowIfNotAFile(fullPath);
        ThrowIfReadOnly(fullPath);
        // Read access too, to count the items back when verifying the finished file. Emptied only once locked, so a
        // second run never cuts the file of a run that holds it.
        var stream = OpenClaimed(fullPath, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        try
        {
            // A device (/dev/full, say) or a pipe has nothing to cut, and may not be cut.
            if (stream.CanSeek && stream.Length > 0)
            {
                stream.SetLength(0);
            }

            return stream;
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            stream.Dispose();
            throw Failure(fullPath, ex);
        }
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
            throw NotAsRecorded(fullPath, $"the file is missing, but the job recorded {length} bytes written to it");
        }

        ThrowIfReadOnly(fullPath);
        var stream = OpenClaimed(fullPath, FileMode.Open, FileAccess.ReadWrite);
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
            throw NotAsRecorded(fullPath, $"the file holds {actual} bytes, but the job recorded {length} bytes written to it, so it was truncated or replaced");
        }

        return stream;
    }

    /// <summary>What a run with a new output file does, for messages.</summary>
    internal const string EveryItemAgain = "the job still holds every item, and writes them all to a file it has not written before";

    /// <summary>
    /// The exception for an output a job cannot resume writing because it no longer holds what the job wrote there:
    /// the message says what is wrong and how to have every item written again.
    /// </summary>
    public static ItemExportException NotAsRecorded(string fullPath, string why) =>
        new(fullPath, $"Cannot resume writing items to '{fullPath}': {why}. Restore the file, or run the same command with -o naming a new file: {EveryItemAgain}.", null)
        {
            Problem = ItemExportProblem.Changed,
        };

    /// <summary>Reads the bytes between <paramref name="from"/> and <paramref name="to"/> backwards, for the last one that is not JSON whitespace; -1 when there is none.</summary>
    public static long LastNonWhitespace(FileStream stream, string fullPath, long from, long to)
    {
        const int chunk = 4096;
        for (var end = to; end > from;)
        {
            var start = Math.Max(from, end - chunk);
            var bytes = ReadAt(stream, fullPath, start, (int)(end - start));
            for (var i = bytes.Length - 1; i >= 0; i--)
            {
                if (bytes[i] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return start + i;
                }
            }

            end = start;
        }

        return -1;
    }

    /// <summary>Whether this process is writing <paramref name="fullPath"/> now.</summary>
    public static bool IsClaimedHere(string fullPath) => Claimed.ContainsKey(fullPath);

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
            ThrowIfHeld(fullPath);

            // The room left is probed beside the file, so the file itself stays untouched.
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

    /// <summary>
    /// Throws when a run is writing <paramref name="fullPath"/> now: a crawl in this process, or (on Linux) a process
    /// holding its lock. The file is left as it is.
    /// </summary>
    /// <param name="fullPath">The output file.</param>
    /// <param name="writer">What the run writing it is, for the message (the job it runs, say), or <see langword="null"/>.</param>
    /// <exception cref="ItemExportException">The file is being written (<see cref="ItemExportProblem.InUse"/>).</exception>
    public static void ThrowIfHeld(string fullPath, string? writer = null)
    {
        if (IsClaimedHere(fullPath))
        {
            throw InUse(fullPath, inThisProcess: true, null, writer);
        }

        if (!File.Exists(fullPath))
        {
            return;
        }

        // Opening for writing without truncating changes neither the contents nor the modification time. A run writing
        // the file holds its lock; this one lets go of its own as it closes.
        using var writable = Open(fullPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        LockOrThrow(writable, fullPath, writer);
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
            _ when FileErrors.IsOutOfFileDescriptors(ex) => FileErrors.OutOfFileDescriptorsAdvice,
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

    /// <summary>Opens the file for this writer alone: claimed in this process, and locked against other processes.</summary>
    private static ClaimedFileStream OpenClaimed(string fullPath, FileMode mode, FileAccess access)
    {
        if (!Claimed.TryAdd(fullPath, 0))
        {
            throw InUse(fullPath, inThisProcess: true, null);
        }

        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(fullPath, mode, access, FileShare.Read);
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            Claimed.TryRemove(fullPath, out _);
            throw ex is IOException io && FileErrors.IsHeldByAnother(io) ? InUse(fullPath, inThisProcess: false, ex) : Failure(fullPath, ex);
        }

        var stream = new ClaimedFileStream(handle, access, fullPath);
        try
        {
            LockOrThrow(stream, fullPath);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    // A write lock over the whole file (length 0 means "to the end, however far it grows"), released when the handle
    // closes. Linux only: macOS has no FileStream.Lock, and on Windows the sharing mode keeps other writers out.
    private static void LockOrThrow(FileStream stream, string fullPath, string? writer = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            stream.Lock(0, 0);
        }
        catch (IOException ex) when (FileErrors.IsHeldByAnother(ex))
        {
            throw InUse(fullPath, inThisProcess: false, ex, writer);
        }
        catch (Exception ex) when (IsIoFailure(ex))
        {
            throw Failure(fullPath, ex);
        }
    }

    private static ItemExportException InUse(string fullPath, bool inThisProcess, Exception? inner, string? writer = null)
    {
        var who = inThisProcess
            ? "another crawl in this process is writing it"
            : OpenFiles.FindHolder(fullPath, writersOnly: true, excludeSelf: true) is { } pid
                ? $"another trawl run (pid {pid}) is writing it"
                : "another trawl run is writing it";
        if (writer is not null)
        {
            who += $" ({writer})";
        }

        return new ItemExportException(
            fullPath,
            $"Cannot write items to '{fullPath}': {who}. An output file belongs to one run at a time: give this crawl another -o, " +
            "or wait for that run to end.",
            inner)
        {
            Problem = ItemExportProblem.InUse,
        };
    }

    /// <summary>An output's stream that gives up the path's claim in this process when it is closed.</summary>
    private sealed class ClaimedFileStream(SafeFileHandle handle, FileAccess access, string fullPath) : FileStream(handle, access, bufferSize: 0)
    {
        private int _released;

        public override async ValueTask DisposeAsync()
        {
            try
            {
                await base.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                Release();
            }
        }

        protected override void Dispose(bool disposing)
        {
            try
            {
                base.Dispose(disposing);
            }
            finally
            {
                Release();
            }
        }

        private void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Claimed.TryRemove(fullPath, out _);
            }
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
