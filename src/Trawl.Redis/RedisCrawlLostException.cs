namespace Trawl.Redis;

/// <summary>
/// The crawl's identity is gone from Redis: its config, with the epoch recorded when the crawl began, was deleted (a
/// <c>FLUSHDB</c> or <c>FLUSHALL</c>, its keys deleted, or Redis restarted without persistence), or was made anew by
/// another crawl of the same name. The work the crawl held went with it, so a worker stops with this error rather than
/// find the crawl empty and report it finished. The message names the server without its password.
/// </summary>
public sealed class RedisCrawlLostException : Exception, IOperationalError
{
    /// <summary>Creates the exception.</summary>
    public RedisCrawlLostException()
        : this("The crawl is gone from Redis.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RedisCrawlLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public RedisCrawlLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The exception for the crawl <paramref name="spider"/> on <paramref name="endpoint"/> (a redacted URL).</summary>
    internal static RedisCrawlLostException For(string spider, string endpoint, bool replaced) => new(replaced
        ? $"Crawl '{spider}' is gone from Redis at {endpoint}: its config was made anew since this worker joined (the crawl was deleted and started again), so the work held here belongs to a crawl that no longer exists. Stopping: the crawl is not finished."
        : $"Crawl '{spider}' is gone from Redis at {endpoint}: its config and epoch were deleted (FLUSHDB or FLUSHALL, its keys deleted, or Redis restarted without persistence), and with them the work it held. Stopping: the crawl is not finished.");
}
