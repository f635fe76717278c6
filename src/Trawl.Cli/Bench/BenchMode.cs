namespace Trawl.Cli.Bench;

/// <summary>What one benchmark run does.</summary>
internal enum BenchMode
{
    /// <summary>Crawl the site with the in-memory frontier.</summary>
    Memory,

    /// <summary>Crawl the site with a job directory (SQLite), as <c>trawl crawl --jobdir</c> does.</summary>
    JobDir,

    /// <summary>The fetch ceiling: a plain HttpClient loop over the site's pages, no parsing.</summary>
    Fetch,

    /// <summary>The fetch+parse ceiling: the same loop plus an AngleSharp parse and link resolution per page.</summary>
    FetchParse,
}

/// <summary>The names modes have on the command line, in JSON and in the table.</summary>
internal static class BenchModes
{
    public static string Name(this BenchMode mode) => mode switch
    {
        BenchMode.Memory => "memory",
        BenchMode.JobDir => "jobdir",
        BenchMode.Fetch => "fetch",
        BenchMode.FetchParse => "fetch+parse",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    public static bool TryParse(string? text, out BenchMode mode)
    {
        foreach (var candidate in Enum.GetValues<BenchMode>())
        {
            if (string.Equals(candidate.Name(), text?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                mode = candidate;
                return true;
            }
        }

        mode = default;
        return false;
    }

    /// <summary>Whether the mode crawls with Trawl (as opposed to a ceiling loop).</summary>
    public static bool IsCrawl(this BenchMode mode) => mode is BenchMode.Memory or BenchMode.JobDir;
}
