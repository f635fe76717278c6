using Trawl.Redis;

namespace Trawl.Cli.Commands;

/// <summary>Checks a <c>--frontier</c> URL up front, so a typo is a usage error that never echoes the password.</summary>
internal static class FrontierUrl
{
    public static RedisUrl Parse(string url, string option)
    {
        try
        {
            return RedisUrl.Parse(url);
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException)
        {
            throw new CliUsageException($"Invalid {option} URL: {ex.Message}");
        }
    }
}
