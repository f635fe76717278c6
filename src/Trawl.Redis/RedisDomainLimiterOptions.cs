namespace Trawl.Redis;

/// <summary>
/// Options for a <see cref="RedisDomainLimiter"/>: the limits one crawl applies to every domain, across all its workers,
/// and how long this worker's concurrency slots last.
/// </summary>
/// <remarks>
/// The limits (<see cref="RequestsPerSecond"/>, <see cref="Burst"/>, <see cref="MaxConcurrency"/>) are recorded with the
/// crawl by the first worker that sets them, and every worker applies the recorded ones: see
/// <see cref="RedisDomainLimiter.CreateAsync"/>.
/// </remarks>
public sealed class RedisDomainLimiterOptions
{
    /// <summary>The sustained request rate allowed per domain, across the whole cluster; 0 for no rate limit.</summary>
    /// <value>The default is 1 request per second.</value>
    public double RequestsPerSecond { get; set; } = 1;

    /// <summary>
    /// How many requests may go at once after a quiet spell (the token bucket's size). Over any window of <c>t</c>
    /// seconds a domain gets at most <c>Burst + RequestsPerSecond × t</c> requests.
    /// </summary>
    /// <value>
    /// The default is <see langword="null"/>: a tenth of a second's requests, at least 1 (2 at 20 requests/s; see
    /// <see cref="DefaultBurst"/>). A bucket of 1 loses the turn of every request that asks a little late (a timer, a
    /// round trip), so the rate reached falls short; a tenth of a second absorbs that and adds at most 2% over any 5 s.
    /// </value>
    public int? Burst { get; set; }

    /// <summary>How many requests may be in flight to one domain at once, across the cluster; 0 for no limit.</summary>
    /// <value>The default is 0.</value>
    public int MaxConcurrency { get; set; }

    /// <summary>
    /// How long a concurrency slot is held if it is never released (its worker died). Longer than the slowest download.
    /// This one is the worker's own, not recorded with the crawl.
    /// </summary>
    /// <value>The default is 2 minutes.</value>
    public TimeSpan SlotTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Checks every option and throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        Require(RequestsPerSecond is >= 0 and <= 100_000 && double.IsFinite(RequestsPerSecond), nameof(RequestsPerSecond), "must be between 0 and 100,000");
        Require(Burst is null or (>= 1 and <= 100_000), nameof(Burst), "must be between 1 and 100,000");
        Require(MaxConcurrency is >= 0 and <= 100_000, nameof(MaxConcurrency), "must be between 0 and 100,000");
        Require(RequestsPerSecond > 0 || MaxConcurrency > 0, nameof(RequestsPerSecond), "or MaxConcurrency must be set: with neither there is nothing to limit");
        Require(SlotTimeout >= TimeSpan.FromSeconds(1) && SlotTimeout <= TimeSpan.FromDays(1), nameof(SlotTimeout), "must be between 1 second and 1 day");
    }

    /// <summary>The burst used when <see cref="Burst"/> is not set: a tenth of a second's requests, rounded up, at least 1.</summary>
    public static int DefaultBurst(double requestsPerSecond) =>
        (int)Math.Clamp(Math.Ceiling(requestsPerSecond / 10), 1, 100_000);

    private static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"{nameof(RedisDomainLimiterOptions)}.{option} {problem}.", option);
        }
    }
}
