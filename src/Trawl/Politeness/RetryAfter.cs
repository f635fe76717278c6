using System.Globalization;
using Trawl.Http;

namespace Trawl.Politeness;

/// <summary>Reads a <c>Retry-After</c> header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).</summary>
internal static class RetryAfter
{
    /// <summary>
    /// The wait a response asks for, from <paramref name="now"/>; <see langword="null"/> when it has no valid
    /// <c>Retry-After</c>. A date in the past asks for no wait.
    /// </summary>
    public static TimeSpan? Parse(IReadOnlyDictionary<string, IReadOnlyList<string>> headers, DateTimeOffset now)
    {
        if (!headers.TryGetValue("Retry-After", out var values) || values.Count == 0)
        {
            return null;
        }

        var value = values[0].Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, 365L * 86_400));
        }

        if (HttpDates.TryParse(value, out var date))
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
