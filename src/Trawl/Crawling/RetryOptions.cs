namespace Trawl.Crawling;

/// <summary>Which failed requests are retried, how many times, and with what backoff.</summary>
public sealed class RetryOptions
{
    private const string Prefix = "Retry.";
    private readonly FreezableSet<int> _httpStatuses = new(Prefix + nameof(HttpStatuses), [500, 502, 503, 504, 522, 524, 408, 429]);
    private bool _frozen;

    /// <summary>How many times a failed request is retried before it is marked failed.</summary>
    /// <value>The default is 2.</value>
    public int MaxRetries { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 2;

    /// <summary>HTTP statuses that are retried.</summary>
    /// <value>The default is 500, 502, 503, 504, 522, 524, 408 and 429.</value>
    public ISet<int> HttpStatuses => _httpStatuses;

    /// <summary>Whether network errors (timeouts, refused or reset connections, DNS failures) are retried.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RetryNetworkErrors { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = true;

    /// <summary>The wait before the first retry; each further retry waits twice as long, up to <see cref="MaxBackoff"/>.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan Backoff { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries.</summary>
    /// <value>The default is 60 seconds.</value>
    public TimeSpan MaxBackoff { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest wait a <c>Retry-After</c> header is honoured for. A 429 or 503 response with <c>Retry-After</c>
    /// (seconds or an HTTP date) pauses its domain until then (no new requests to it start), and its retry is due no
    /// sooner, whether or not the request is retried; a longer wait is cut to this, so a hostile server cannot stall
    /// the crawl. <see cref="TimeSpan.Zero"/> ignores <c>Retry-After</c>.
    /// </summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan MaxRetryAfter { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromMinutes(10);

    /// <summary>Returns the wait before retry number <paramref name="retry"/> (1-based).</summary>
    internal TimeSpan BackoffFor(int retry)
    {
        var factor = Math.Pow(2, Math.Clamp(retry - 1, 0, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(Backoff.Ticks * factor, MaxBackoff.Ticks));
        return wait;
    }

    /// <summary>Refuses every later change.</summary>
    internal void Freeze()
    {
        _frozen = true;
        _httpStatuses.Freeze();
    }

    internal void Validate()
    {
        OptionChecks.Require(MaxRetries >= 0, "Retry.MaxRetries", "must not be negative");
        OptionChecks.Require(Backoff >= TimeSpan.Zero, "Retry.Backoff", "must not be negative");
        OptionChecks.Require(MaxBackoff >= Backoff, "Retry.MaxBackoff", "must be at least Retry.Backoff");
        OptionChecks.Require(MaxRetryAfter >= TimeSpan.Zero, "Retry.MaxRetryAfter", "must not be negative");
    }
}
