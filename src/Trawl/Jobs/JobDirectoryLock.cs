using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Trawl.FileSystem;

namespace Trawl.Jobs;

/// <summary>
/// The lock of a job directory, held for as long as the job is open. On Linux, macOS and FreeBSD it is an exclusive
/// <c>flock</c> on the directory itself, so removing or replacing the lock file lets nobody in; the lock file
/// <c>DIR/lock</c> is opened with <see cref="FileShare.None"/> too (on Unix another <c>flock</c>, on Windows the only
/// lock) and holds the holder's pid for people and tools. The operating system drops both when the process exits, even
/// on <c>kill -9</c>, so a stale lock never blocks a resume.
/// </summary>
internal sealed class JobDirectoryLock : IDisposable
{
    /// <summary>
    /// How long a lock held for a moment is tried again before the job is called in use. A child process this process
    /// starts (a browser, any program) shares its open files between its fork and its exec, where they close: a job
    /// closed and opened again meanwhile finds its own lock held, by that child or, once it has exec'd, by nobody one
    /// can name. A lock held by any other process is refused at once.
    /// </summary>
    internal static readonly TimeSpan HeldRetryLimit = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan HeldRetryInterval = TimeSpan.FromMilliseconds(25);

    private readonly SafeFileHandle? _directory;
    private readonly FileStream _file;

    private JobDirectoryLock(SafeFileHandle? directory, FileStream file)
    {
        _directory = directory;
        _file = file;
    }

    /// <summary>Takes the lock of a job directory, which must exist.</summary>
    /// <exception cref="JobDirectoryException">
    /// Another process or job store holds it, the process is out of file descriptors, or it cannot be created.
    /// </exception>
    public static JobDirectoryLock Acquire(string directory)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                return TryAcquire(directory);
            }
            catch (JobDirectoryException ex) when (ex.Problem == JobDirectoryProblem.Locked && HeldForAMoment(ex.OwnerProcessId) && Stopwatch.GetElapsedTime(started) < HeldRetryLimit)
            {
                Thread.Sleep(HeldRetryInterval);
            }
        }
    }

    private static JobDirectoryLock TryAcquire(string directory)
    {
        var held = DirectoryLock.IsSupported ? LockDirectory(directory) : null;
        try
        {
            return new JobDirectoryLock(held, OpenLockFile(directory));
        }
        catch
        {
            held?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _file.Dispose();
        _directory?.Dispose();
    }

    // Nobody named, or a child of this process (between its fork and its exec): see HeldRetryLimit.
    private static bool HeldForAMoment(int? holder) =>
        holder is not { } pid || (pid != Environment.ProcessId && OpenFiles.ParentOf(pid) == Environment.ProcessId);

    /// <summary>The exception for a failure of the lock's own system calls, by what the error means.</summary>
    internal static JobDirectoryException Failure(string directory, int error, string detail, Exception? inner) =>
        FileErrors.IsOutOfFileDescriptors(error) ? JobDirectoryException.OutOfFileDescriptors(directory, inner)
        : error == FileErrors.WouldBlock && !OperatingSystem.IsWindows() ? JobDirectoryException.Locked(directory, OpenFiles.FindHolder(directory), inner)
        : JobDirectoryException.Unwritable(directory, detail, inner);

    private static SafeFileHandle? LockDirectory(string directory)
    {
        SafeFileHandle? handle;
        int error;
        try
        {
            handle = DirectoryLock.TryAcquire(directory, out error);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // A C library this build cannot call into: the lock file alone keeps other processes out.
            return null;
        }

        if (handle is not null)
        {
            return handle;
        }

        // A file system without flock (some network ones) still has the lock file.
        const int NotSupported = 95, NoLocks = 37; // EOPNOTSUPP, ENOLCK (Linux)
        if (OperatingSystem.IsLinux() && error is NotSupported or NoLocks)
        {
            return null;
        }

        throw Failure(directory, error, $"cannot lock the directory: {DirectoryLock.Describe(error)}", null);
    }

    private static FileStream OpenLockFile(string directory)
    {
        var path = Path.Combine(directory, JobSchema.LockFileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // Told apart by the error itself: probing the file again would fail the same way when descriptors ran out.
            throw FileErrors.IsOutOfFileDescriptors(ex) ? JobDirectoryException.OutOfFileDescriptors(directory, ex)
                : FileErrors.IsHeldByAnother(ex) ? JobDirectoryException.Locked(directory, OpenFiles.FindHolder(path), ex)
                : JobDirectoryException.Unwritable(directory, $"cannot create {JobSchema.LockFileName}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw JobDirectoryException.Unwritable(directory, $"cannot open {JobSchema.LockFileName}: {ex.Message}", ex);
        }

        try
        {
            var pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
            file.SetLength(0);
            file.Write(pid);
            file.Flush();
        }
        catch (IOException)
        {
            // The pid is a courtesy for people reading the file; the lock itself is what matters.
        }

        return file;
    }
}
