using System.Globalization;

namespace Trawl.FileSystem;

/// <summary>
/// Finds the process that has a file or directory open, to name it in a message. On Linux each process lists its open
/// files under <c>/proc/PID/fd</c> (and how each is open under <c>/proc/PID/fdinfo</c>); elsewhere the answer is
/// always unknown.
/// </summary>
internal static class OpenFiles
{
    /// <summary>A process that has <paramref name="path"/> open, or <see langword="null"/> when none is found.</summary>
    /// <param name="path">The file or directory.</param>
    /// <param name="writersOnly">Only a process that has it open for writing counts.</param>
    /// <param name="excludeSelf">This process does not count.</param>
    public static int? FindHolder(string path, bool writersOnly = false, bool excludeSelf = false)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return null;
        }

        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        try
        {
            foreach (var processDirectory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(processDirectory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    || (excludeSelf && pid == Environment.ProcessId))
                {
                    continue;
                }

                try
                {
                    foreach (var descriptor in Directory.EnumerateFileSystemEntries(Path.Combine(processDirectory, "fd")))
                    {
                        if (string.Equals(new FileInfo(descriptor).LinkTarget, target, StringComparison.Ordinal)
                            && (!writersOnly || IsOpenForWriting(processDirectory, Path.GetFileName(descriptor))))
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

    /// <summary>The parent of process <paramref name="pid"/>, or <see langword="null"/> when it cannot be read (it exited, or not Linux).</summary>
    public static int? ParentOf(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // "pid (comm) state ppid ...": the name may hold spaces and parentheses, so the fields are read after the last ')'.
            var stat = File.ReadAllText(Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture), "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ? parent : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // fdinfo's "flags:" line holds the open flags in octal; the low two bits are the access mode (1 write, 2 read-write).
    private static bool IsOpenForWriting(string processDirectory, string descriptor)
    {
        foreach (var line in File.ReadLines(Path.Combine(processDirectory, "fdinfo", descriptor)))
        {
            if (line.StartsWith("flags:", StringComparison.Ordinal))
            {
                var octal = line["flags:".Length..].Trim();
                return octal.Length > 0 && (octal[^1] - '0' & 3) != 0;
            }
        }

        return false;
    }
}
