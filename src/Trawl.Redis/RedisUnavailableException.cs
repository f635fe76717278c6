namespace Trawl.Redis;

/// <summary>
/// Redis stayed unreachable for longer than <see cref="RedisCrawlOptions.MaxOutage"/>. The operation was not
/// applied, or was applied once (never twice): the frontier's state only changes through atomic scripts.
/// </summary>
/// <remarks>The message names the endpoint without its password; the cause is kept as text only, never as the
/// client library's exception, whose message is not under this library's control.</remarks>
public sealed class RedisUnavailableException : Exception, IOperationalError
{
    /// <summary>Creates the exception.</summary>
    public RedisUnavailableException()
        : this("Redis is unavailable.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public RedisUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public RedisUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
