using Microsoft.Extensions.Hosting;

namespace Trawl.Hosting;

/// <summary>
/// What the application does as the crawls in it end: a failed crawl stops it with an exit code; a finished crawl
/// that asks to (<see cref="WhenCrawlFinished.StopApplication"/>) stops it once every other crawl that asks so has
/// finished too.
/// </summary>
internal sealed class CrawlCompletions(IHostApplicationLifetime lifetime, ProcessExitCode exitCode)
{
    private int _awaited;

    /// <summary>A crawl whose end the application waits for before it stops; called when its service is made.</summary>
    public void Await() => Interlocked.Increment(ref _awaited);

    /// <summary>A crawl that was awaited has finished; the last one stops the application.</summary>
    public void Finished()
    {
        if (Interlocked.Decrement(ref _awaited) == 0)
        {
            lifetime.StopApplication();
        }
    }

    /// <summary>A crawl failed: the application stops, and the process will exit with <paramref name="code"/>.</summary>
    public void Failed(int code)
    {
        exitCode.Set(code);
        lifetime.StopApplication();
    }
}

/// <summary>The process's exit code, set by a failed crawl unless something has set one already.</summary>
internal class ProcessExitCode
{
    /// <summary>Bad configuration or an unusable job directory or output: nothing was crawled. As the <c>trawl</c> command's.</summary>
    public const int Usage = 2;

    /// <summary>An error while crawling (a full disk, an output changed underneath); a durable job stays resumable.</summary>
    public const int Error = 1;

    /// <summary>Sets the exit code the process will end with, unless one is set already.</summary>
    public virtual void Set(int code)
    {
        if (Environment.ExitCode == 0)
        {
            Environment.ExitCode = code;
        }
    }
}
