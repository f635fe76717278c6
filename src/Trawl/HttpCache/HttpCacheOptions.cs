namespace Trawl.HttpCache;

/// <summary>
/// The HTTP cache: responses kept in a directory, compressed and keyed by request fingerprint, so that a later crawl
/// with the same cache gets them without touching the network. Off unless <see cref="Directory"/> is set.
/// </summary>
/// <remarks>
/// <para>Change a selector and run again, and no request reaches the site: the development loop of Scrapy's
/// <c>HTTPCACHE_ENABLED</c>. Every request the downloader makes goes through the cache, robots.txt included; a
/// response served from it is the stored one (final URL, status, headers, body, redirect chain).</para>
/// <para>Requests that carry credentials (an <c>Authorization</c>, <c>Proxy-Authorization</c> or <c>Cookie</c> header
/// of their own, or a user name in the URL) are neither stored nor served unless
/// <see cref="StoreRequestsWithCredentials"/>; cookies the crawl's cookie jar adds (what sites set) do not count, and
/// <c>Set-Cookie</c> headers are never stored. Requests with conditional or range headers of their own pass by it.</para>
/// <para>Several crawls, in one process or several, may share one cache directory: it is one SQLite database in
/// write-ahead-log mode, and each entry is written in one transaction.</para>
/// </remarks>
public sealed class HttpCacheOptions
{
    private const string Prefix = "HttpCache.";
    private readonly FreezableList<int> _statuses = new(Prefix + nameof(Statuses));
    private bool _frozen;

    /// <summary>The cache directory, created if missing; <see langword="null"/> for no cache.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? Directory { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>When a stored response is used without asking the site.</summary>
    /// <value>The default is <see cref="HttpCachePolicy.KeepForever"/>.</value>
    public HttpCachePolicy Policy { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = HttpCachePolicy.KeepForever;

    /// <summary>
    /// How long a stored response is used, under either policy: one stored longer ago is fetched again (and replaced).
    /// <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public TimeSpan? Expiration { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>
    /// The HTTP statuses whose responses are stored. When empty, every status below 500 but 408 and 429 is: errors a
    /// retry may cure are fetched again next time, not kept. Failures without a response are never stored.
    /// </summary>
    /// <value>The default is empty: every status below 500 but 408 and 429.</value>
    public IList<int> Statuses => _statuses;

    /// <summary>Whether responses to requests that carry credentials of their own are stored and served.</summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool StoreRequestsWithCredentials { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>Whether responses with <paramref name="status"/> are stored.</summary>
    internal bool Stores(int status) => _statuses.Count > 0 ? _statuses.Contains(status) : status is < 500 and not 408 and not 429;

    /// <summary>Refuses every later change.</summary>
    internal void Freeze()
    {
        _frozen = true;
        _statuses.Freeze();
    }

    internal void Validate()
    {
        OptionChecks.Require(Directory is null || !string.IsNullOrWhiteSpace(Directory), Prefix + nameof(Directory), "must not be empty");
        OptionChecks.Require(Enum.IsDefined(Policy), Prefix + nameof(Policy), "must be KeepForever or Rfc9111");
        OptionChecks.Require(Expiration is null || Expiration > TimeSpan.Zero, Prefix + nameof(Expiration), "must be positive");
        foreach (var status in _statuses)
        {
            OptionChecks.Require(status is >= 100 and <= 599, Prefix + nameof(Statuses), $"holds {status}, which is not an HTTP status");
        }
    }
}

/// <summary>When the HTTP cache uses a stored response without asking the site.</summary>
public enum HttpCachePolicy
{
    /// <summary>
    /// Always, whatever the response's headers say (until <see cref="HttpCacheOptions.Expiration"/>): for developing a
    /// spider against pages fetched once. Like Scrapy's <c>DummyPolicy</c>.
    /// </summary>
    KeepForever,

    /// <summary>
    /// As a browser's private cache does (RFC 9111): only GET responses the site lets be cached, used while fresh
    /// (<c>Cache-Control: max-age</c>, <c>Expires</c>, or 10% of the time since <c>Last-Modified</c>), then
    /// revalidated with <c>If-None-Match</c> / <c>If-Modified-Since</c>, a <c>304</c> renewing the stored one.
    /// </summary>
    Rfc9111,
}
