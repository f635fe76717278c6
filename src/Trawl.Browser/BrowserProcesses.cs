using System.Globalization;
using System.Text;

namespace Trawl.Browser;

/// <summary>
/// Finds the processes of the browsers a renderer started, by the marker each browser (and every process it starts)
/// carries in its environment: <c>TRAWL_BROWSER_OWNER=PID</c> (the process that started it) and
/// <c>TRAWL_BROWSER_ID=ID</c> (one browser). Reads <c>/proc</c>, so it works on Linux only; elsewhere it finds nothing.
/// </summary>
internal static class BrowserProcesses
{
    /// <summary>The environment variable naming the process that started a browser.</summary>
    public const string OwnerVariable = "TRAWL_BROWSER_OWNER";

    /// <summary>The environment variable naming one browser.</summary>
    public const string IdVariable = "TRAWL_BROWSER_ID";

    /// <summary>The processes whose environment holds <paramref name="name"/>=<paramref name="value"/>.</summary>
    public static List<int> Find(string name, string value)
    {
        var found = new List<int>();
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/proc"))
        {
            return found;
        }

        var marker = Encoding.UTF8.GetBytes($"{name}={value}\0");
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(directory, "environ"));
                if (Contains(environment, marker))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or another user's.
            }
        }

        return found;
    }

    /// <summary>The resident memory of these processes added up, in bytes (those gone meanwhile count nothing).</summary>
    public static long ResidentBytes(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    {
                        var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                        total += long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
            }
        }

        return total;
    }

    /// <summary>
    /// Orders one browser's processes with the browser itself first: the one whose parent is not one of them and that
    /// is no helper (renderers, the GPU process and the zygotes are its descendants; its crash handler detaches to init,
    /// and says what it is on its command line).
    /// </summary>
    public static List<int> BrowserFirst(IReadOnlyCollection<int> pids)
    {
        var set = pids.ToHashSet();
        return [.. pids.OrderBy(pid => ParentOf(pid) is { } parent && !set.Contains(parent) && !IsHelper(pid) ? 0 : 1)];
    }

    private static bool IsHelper(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Contains("--type=", StringComparison.Ordinal) || commandLine.Contains("crashpad", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>The parent of a process, or <see langword="null"/> when it is gone.</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ...", where comm may hold spaces and parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Kills these processes at once (SIGKILL); those gone meanwhile are skipped.</summary>
    public static void Kill(IEnumerable<int> pids)
    {
        foreach (var pid in pids)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
            {
            }
        }
    }

    private static bool Contains(byte[] environment, byte[] marker)
    {
        // The marker must start a variable: at the start, or after the NUL that ends the one before.
        var span = environment.AsSpan();
        var at = 0;
        while (true)
        {
            var index = span[at..].IndexOf(marker);
            if (index < 0)
            {
                return false;
            }

            var start = at + index;
            if (start == 0 || span[start - 1] == 0)
            {
                return true;
            }

            at = start + 1;
        }
    }
}
