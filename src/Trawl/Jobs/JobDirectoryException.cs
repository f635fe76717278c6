using Trawl.Logging;

namespace Trawl.Jobs;

/// <summary>What is wrong with a job directory that could not be opened.</summary>
public enum JobDirectoryProblem
{
    /// <summary>Another trawl process (or another <see cref="JobStore"/> in this process) has the job open.</summary>
    Locked,

    /// <summary><c>job.db</c> is truncated, damaged, or not a database at all.</summary>
    Corrupt,

    /// <summary><c>job.db</c> is a SQLite database, but not one written by trawl.</summary>
    NotAJob,

    /// <summary><c>job.db</c> was written by a newer trawl in a format this one does not read.</summary>
    NewerFormat,

    /// <summary>The directory or <c>job.db</c> cannot be read (permissions, I/O errors).</summary>
    Unreadable,

    /// <summary>The directory or <c>job.db</c> can be read but not written (permissions, a read-only file system).</summary>
    Unwritable,

    /// <summary>The disk holding the directory is full: the job can be neither created nor resumed until space is freed.</summary>
    DiskFull,

    /// <summary>The process ran out of file descriptors (too many open files) and could not open the job's files.</summary>
    OutOfFileDescriptors,

    /// <summary>
    /// The job's output file holds more items than the job accounts for: its database lost commits (its write-ahead log
    /// was deleted, say), so resuming would overwrite items it cannot write again.
    /// </summary>
    OutputAhead,
}

/// <summary>
/// A job directory cannot be used. The message names the problem and what the user can do; the directory's files
/// are left exactly as they were.
/// </summary>
public sealed class JobDirectoryException : Exception
{
    internal JobDirectoryException(string directory, JobDirectoryProblem problem, string message, Exception? inner = null, int? ownerProcessId = null)
        : base(message, inner)
    {
        Directory = directory;
        Problem = problem;
        OwnerProcessId = ownerProcessId;
    }

    /// <summary>The job directory.</summary>
    public string Directory { get; }

    /// <summary>What is wrong with it.</summary>
    public JobDirectoryProblem Problem { get; }

    /// <summary>For <see cref="JobDirectoryProblem.Locked"/>, the process holding the job when it could be found.</summary>
    public int? OwnerProcessId { get; }

    internal static JobDirectoryException Locked(string directory, int? pid, Exception? inner) => new(
        directory,
        JobDirectoryProblem.Locked,
        $"Job directory {directory} is in use by another trawl process ({(pid is { } p ? $"pid {p}" : "pid unknown")}). " +
        "Wait for it to finish or stop it (Ctrl+C pauses it), or use another job directory.",
        inner,
        pid);

    internal static JobDirectoryException Corrupt(string directory, string detail, Exception? inner = null) => new(
        directory,
        JobDirectoryProblem.Corrupt,
        $"Job directory {directory} holds a damaged job database ({detail}). Nothing was changed. " +
        "Run with --fresh to move it aside and start over, or restore job.db from a backup.",
        inner);

    internal static JobDirectoryException NotAJob(string directory, string detail) => new(
        directory,
        JobDirectoryProblem.NotAJob,
        $"Job directory {directory} holds a job.db that was not written by trawl ({detail}). Nothing was changed. " +
        "Use another job directory, or run with --fresh to move it aside and start over.");

    internal static JobDirectoryException NewerFormat(string directory, long version) => new(
        directory,
        JobDirectoryProblem.NewerFormat,
        $"Job directory {directory} was written by a newer trawl (job format {version}; this trawl reads up to {JobSchema.FormatVersion}). " +
        "Nothing was changed. Upgrade trawl to resume it, or run with --fresh to move it aside and start over.");

    internal static JobDirectoryException Unreadable(string directory, string detail, Exception? inner) => new(
        directory,
        JobDirectoryProblem.Unreadable,
        $"Job directory {directory} cannot be read ({detail}). Nothing was changed. " +
        "Check its permissions and the disk, or run with --fresh to move it aside and start over.",
        inner);

    internal static JobDirectoryException DiskFull(string directory, Exception? inner) => new(
        directory,
        JobDirectoryProblem.DiskFull,
        $"Job directory {directory} cannot be used: the disk holding it is full. Nothing was changed. " +
        "Free some space (or use another job directory) and run the same command again.",
        inner);

    internal static JobDirectoryException OutOfFileDescriptors(string directory, Exception? inner) => new(
        directory,
        JobDirectoryProblem.OutOfFileDescriptors,
        $"Job directory {directory} cannot be opened: {FileSystem.FileErrors.OutOfFileDescriptorsAdvice}. Nothing was changed.",
        inner);

    internal static JobDirectoryException OutputAhead(string directory, string output, long itemsInFile, long itemsInJob, long recordedPosition, bool recorded) => new(
        directory,
        JobDirectoryProblem.OutputAhead,
        $"Job directory {directory} cannot resume writing '{output}': " +
        (recorded
            ? $"the file holds {Wording.Count(itemsInFile, "item")} after byte {recordedPosition}, where the job last recorded writing it, but the job holds only {Wording.Count(itemsInJob, "item")} to follow them. "
            : $"the file holds {Wording.Count(itemsInFile, "item")}, but the job has no record of writing it and holds only {Wording.Count(itemsInJob, "item")}. ") +
        "Either the job's database lost work (was its write-ahead log, job.db-wal, deleted after a crash?) or the file is another crawl's, " +
        "and resuming would overwrite items the job cannot write again. Nothing was changed. Keep the file, and give this crawl another -o " +
        "(or start it over with --fresh).");

    internal static JobDirectoryException Unwritable(string directory, string detail, Exception? inner) => new(
        directory,
        JobDirectoryProblem.Unwritable,
        $"Job directory {directory} cannot be written ({detail}). Nothing was changed. " +
        "Check its permissions and free space, or use another job directory.",
        inner);
}

/// <summary>
/// The disk holding a job directory is full. The batch being written was rolled back as a whole, so the job is
/// consistent and resumes once space is freed; leases that were being completed are still held and may be
/// completed again.
/// </summary>
internal sealed class JobStoreFullException : IOException, IOperationalError
{
    internal JobStoreFullException(string directory, Exception inner)
        : base($"The disk holding job directory {directory} is full; the last batch was not committed. " +
            "Free some space and run the same command again to resume.", inner)
    {
        Directory = directory;
    }

    /// <summary>The job directory.</summary>
    public string Directory { get; }
}
