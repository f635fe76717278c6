namespace Trawl.Browser;

/// <summary>
/// Finds the browser to render with: the path given (<c>--browser PATH</c>), else the <c>TRAWL_BROWSER</c> environment
/// variable, else <c>chromium</c>, <c>chromium-browser</c> or <c>google-chrome</c> on the <c>PATH</c>.
/// </summary>
public static class BrowserLocator
{
    /// <summary>The environment variable that names the browser when no path is given.</summary>
    public const string EnvironmentVariable = "TRAWL_BROWSER";

    /// <summary>What to install when no browser is found.</summary>
    public const string InstallHint = "install the 'chromium' package (Debian and Ubuntu: apt-get install chromium), or name a Chromium or Chrome executable with --browser PATH or TRAWL_BROWSER";

    /// <summary>The executables looked for on the <c>PATH</c>, in order.</summary>
    public static IReadOnlyList<string> Candidates { get; } = ["chromium", "chromium-browser", "google-chrome"];

    /// <summary>Finds the browser.</summary>
    /// <param name="given">A path given explicitly; it must exist (a bare name is looked up on the <c>PATH</c>).</param>
    /// <param name="environment">Reads an environment variable; <see langword="null"/> for the process's own.</param>
    /// <returns>The full path of the executable.</returns>
    /// <exception cref="BrowserNotFoundException">No browser was found; the message says where it looked and what to install.</exception>
    public static string Find(string? given, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrWhiteSpace(given))
        {
            return Resolve(given, environment) ?? throw new BrowserNotFoundException($"The browser '{given}' (--browser) does not exist or cannot be run: {InstallHint}.");
        }

        if (environment(EnvironmentVariable) is { } named && !string.IsNullOrWhiteSpace(named))
        {
            return Resolve(named, environment) ?? throw new BrowserNotFoundException($"The browser '{named}' ({EnvironmentVariable}) does not exist or cannot be run: {InstallHint}.");
        }

        foreach (var candidate in Candidates)
        {
            if (Resolve(candidate, environment) is { } found)
            {
                return found;
            }
        }

        throw new BrowserNotFoundException($"No browser found to render pages with (looked for {string.Join(", ", Candidates)} on the PATH): {InstallHint}.");
    }

    // A name with a directory in it is a path; a bare name is looked up on the PATH, as a shell would.
    private static string? Resolve(string name, Func<string, string?> environment)
    {
        name = name.Trim();
        if (name.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || name.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal))
        {
            return IsExecutable(name) ? Path.GetFullPath(name) : null;
        }

        foreach (var directory in (environment("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(directory, name);
            if (IsExecutable(path))
            {
                return path;
            }
        }

        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}

/// <summary>No browser was found to render with; the message names what to install.</summary>
public sealed class BrowserNotFoundException : Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public BrowserNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and its cause.</summary>
    public BrowserNotFoundException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
