using System.Globalization;
using System.Text;

namespace Trawl.Jobs;

/// <summary>
/// The lock file <c>DIR/lock</c>: opened with <see cref="FileShare.None"/> and held open for as long as the job is,
/// which on Unix is an exclusive <c>flock</c>. The operating system drops it when the process exits, even on
/// <c>kill -9</c>, so a stale lock never blocks a resume. The holder writes its pid into the file for people and tools.
/// </summary>
internal sealed class JobDirectoryLock : IDisposable
{
    private readonly FileStream _file;

    private JobDirectoryLock(FileStream file) => _file = file;

    /// <summary>Takes the lock of a job directory, which must exist.</summary>
    /// <exception cref="JobDirectoryException">Another process or job store holds it, or it cannot be created.</exception>
    public static JobDirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, JobSchema.LockFileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            // A sharing violation: someone holds the lock. Other I/O errors (a read-only disk) are reported as such.
            if (File.Exists(path) && IsSharingViolation(path))
            {
                throw JobDirectoryException.Locked(directory, FindHolder(path), ex);
            }

            throw JobDirectoryException.Unwritable(directory, $"cannot create {JobSchema.LockFileName}: {ex.Message}", ex);
        }
        catch (UnauthorizedAccessException ex)
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

        return new JobDirectoryLock(file);
    }

    public void Dispose() => _file.Dispose();

    private static bool IsSharingViolation(string path)
    {
        // Tell "held by someone" from other failures by trying a plain read-sharing open, which a held lock refuses too.
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Finds the process holding the lock file open. .NET cannot read a file another handle holds with
    /// <see cref="FileShare.None"/>, so rather than reading the pid back, look for the process that has the file open:
    /// on Linux each process lists its open files under <c>/proc/PID/fd</c>. Elsewhere the pid stays unknown.
    /// </summary>
    private static int? FindHolder(string lockPath)
    {
        if (!OperatingSystem.IsLinux() || !System.IO.Directory.Exists("/proc"))
        {
            return null;
        }

        var target = Path.GetFullPath(lockPath);
        try
        {
            foreach (var processDirectory in System.IO.Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(processDirectory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                {
                    continue;
                }

                try
                {
                    foreach (var descriptor in System.IO.Directory.EnumerateFileSystemEntries(Path.Combine(processDirectory, "fd")))
                    {
                        if (string.Equals(new FileInfo(descriptor).LinkTarget, target, StringComparison.Ordinal))
                        {
                            return pid;
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's process, or one that just exited.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
