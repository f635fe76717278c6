namespace Trawl.Politeness;

/// <summary>
/// AutoThrottle (<see cref="Crawling.CrawlOptions.AutoThrottle"/>): each domain's delay adapts to how fast the site answers,
/// aiming at <see cref="TargetConcurrency"/> requests in flight to it on average.
/// </summary>
/// <remarks>
/// <para>A domain starts at <see cref="StartDelay"/>. After each response, with <c>latency</c> the time the download
/// took, the target delay is <c>latency / TargetConcurrency</c>; the new delay is the average of the current delay and
/// the target (or the target itself when that is higher, so a slowing site is followed at once), kept between the
/// domain's minimum (<see cref="Crawling.CrawlOptions.DownloadDelay"/> or its per-domain override) and <see cref="MaxDelay"/>.
/// A response with a status other than 200 may raise the delay but never lowers it, so error pages, which tend to be
/// fast, do not speed the crawl up. Failures without a response leave it as it is.</para>
/// <para>The idea is Scrapy's AutoThrottle. <see cref="Crawling.CrawlOptions.RandomizeDownloadDelay"/> still applies on top, and
/// robots.txt <c>Crawl-delay</c> stays a floor. <c>Retry-After</c> on 429 and 503 is honoured whether or not
/// AutoThrottle is on (see <see cref="Crawling.RetryOptions.MaxRetryAfter"/>).</para>
/// </remarks>
public sealed class AutoThrottleOptions
{
    private const string Prefix = "AutoThrottle.";
    private bool _frozen;

    /// <summary>Whether AutoThrottle adapts the delays.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool Enabled { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>The delay a domain starts with (never below its minimum delay).</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan StartDelay { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(5);

    /// <summary>The longest delay AutoThrottle sets.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan MaxDelay { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How many requests, on average, should be in flight to one domain. Higher is faster and less polite. The
    /// per-domain concurrency limit still caps it.
    /// </summary>
    /// <value>The default is 1.0.</value>
    public double TargetConcurrency { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 1.0;

    /// <summary>Refuses every later change.</summary>
    internal void Freeze() => _frozen = true;

    internal void Validate()
    {
        OptionChecks.Require(StartDelay >= TimeSpan.Zero, "AutoThrottle.StartDelay", "must not be negative");
        OptionChecks.Require(MaxDelay >= StartDelay, "AutoThrottle.MaxDelay", "must be at least AutoThrottle.StartDelay");
        OptionChecks.Require(double.IsFinite(TargetConcurrency) && TargetConcurrency > 0, "AutoThrottle.TargetConcurrency", "must be a positive number");
    }
}

/// <summary>The AutoThrottle rule: the next delay of a domain from its current one and a response. Pure, so testable alone.</summary>
internal static class AutoThrottle
{
    /// <summary>The delay a domain starts with.</summary>
    public static TimeSpan StartDelay(AutoThrottleOptions options, TimeSpan minDelay) =>
        Clamp(options.StartDelay, minDelay, options.MaxDelay);

    /// <summary>The domain's delay after a response with <paramref name="status"/> that took <paramref name="latency"/>.</summary>
    public static TimeSpan NextDelay(AutoThrottleOptions options, TimeSpan current, TimeSpan latency, int status, TimeSpan minDelay)
    {
        if (latency < TimeSpan.Zero)
        {
            latency = TimeSpan.Zero;
        }

        var target = latency / options.TargetConcurrency;
        var next = (current + target) / 2;
        if (next < target)
        {
            next = target;
        }

        next = Clamp(next, minDelay, options.MaxDelay);
        return status != 200 && next < current ? current : next;
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value > max)
        {
            value = max;
        }

        return value < min ? min : value;
    }
}
