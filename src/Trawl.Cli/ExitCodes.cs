namespace Trawl.Cli;

/// <summary>The exit codes of the trawl command.</summary>
public static class ExitCodes
{
    /// <summary>The crawl finished (or the command succeeded).</summary>
    public const int Finished = 0;

    /// <summary>Something failed at run time (for example the job directory could not be written).</summary>
    public const int Error = 1;

    /// <summary>Bad arguments or configuration: nothing was crawled or written.</summary>
    public const int Usage = 2;

    /// <summary>The crawl was paused or interrupted (Ctrl+C, SIGTERM); run the same command to resume.</summary>
    public const int Paused = 3;

    /// <summary>
    /// The crawl ran to its end with nothing crawled because its start requests failed (a host that refuses connections,
    /// a name that does not resolve, an error status): see <c>CrawlResult.EveryStartRequestFailed</c>.
    /// </summary>
    public const int StartFailed = 4;
}
