using Trawl.Http;

namespace Trawl.Downloader;

/// <summary>Settings of the HTTP downloader. Validated and frozen, with the rest of the crawl's options, when a crawl starts.</summary>
public sealed class DownloaderOptions
{
    private const string Prefix = "Downloader.";
    private readonly FreezableList<string> _userAgents = new(Prefix + nameof(UserAgents));
    private readonly FreezableList<string> _proxies = new(Prefix + nameof(Proxies));
    private bool _frozen;

    /// <summary>
    /// The User-Agent header sent with every request that does not set its own, unless <see cref="UserAgents"/> has
    /// entries. Its product token (here <c>Trawl</c>) is also what robots.txt rules are matched with.
    /// </summary>
    /// <value>The default is <c>Trawl/1.0 (+https://github.com/trawl)</c>.</value>
    public string UserAgent { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = "Trawl/1.0 (+https://github.com/trawl)";

    /// <summary>
    /// User-Agent headers to rotate through, one per request (in <see cref="UserAgentRotation"/> order), for requests
    /// that do not set their own. When empty, every request gets <see cref="UserAgent"/>.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> UserAgents => _userAgents;

    /// <summary>How <see cref="UserAgents"/> are picked: in turn, or at random for each request.</summary>
    /// <value>The default is <see cref="RotationOrder.RoundRobin"/>.</value>
    public RotationOrder UserAgentRotation { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = RotationOrder.RoundRobin;

    /// <summary>
    /// Proxies to send requests through, one per request (in <see cref="ProxyRotation"/> order), as URLs:
    /// <c>http://HOST:PORT</c>, <c>socks5://HOST:PORT</c>, <c>socks4://HOST:PORT</c> or <c>socks4a://HOST:PORT</c>,
    /// optionally with <c>USER:PASSWORD@</c> (percent-encode special characters). A request's own
    /// <see cref="RequestMeta.Proxy"/> wins. Passwords are never logged. When empty, requests go direct (the
    /// system's proxy settings are never used).
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> Proxies => _proxies;

    /// <summary>How <see cref="Proxies"/> are picked: in turn, or at random for each request.</summary>
    /// <value>The default is <see cref="RotationOrder.RoundRobin"/>.</value>
    public RotationOrder ProxyRotation { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = RotationOrder.RoundRobin;

    /// <summary>
    /// How many proxies may have a connection pool open at once. Each distinct proxy (from <see cref="Proxies"/> or a
    /// request's meta) gets its own pool on first use; past this many, the least recently used pool is closed once its
    /// downloads end.
    /// </summary>
    /// <value>The default is 32.</value>
    public int MaxProxyConnectionPools { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 32;

    /// <summary>How long to wait for a TCP (and TLS) connection.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(10);

    /// <summary>How long one download may take in all, from sending the request to the last body byte.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan Timeout { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(30);

    /// <summary>The largest body accepted, after decompression; larger downloads stop as <c>too_large</c> while streaming.</summary>
    /// <value>The default is 16 MiB.</value>
    public long MaxResponseSize { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 16 * 1024 * 1024;

    /// <summary>How many redirects are followed before the download fails as <c>redirects</c>.</summary>
    /// <value>The default is 10.</value>
    public int MaxRedirects { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 10;

    /// <summary>
    /// Whether a redirect may lead to a more private address than the one it came from: from a public address to a
    /// private network or this machine (loopback, <c>localhost</c>), or from a private network to this machine. By
    /// default such a redirect is refused (<c>redirect_blocked</c>), as browsers refuse it, so a public site cannot
    /// point the crawler at services on its own network. A crawl that starts on a private or loopback address may
    /// still follow redirects within it and out to the internet. Host names are resolved to tell (only for a redirect
    /// to another host); through a proxy they are not, and only IP literals and <c>localhost</c> are judged.
    /// </summary>
    /// <value>The default is <see langword="false"/>.</value>
    public bool AllowPrivateRedirects { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>Whether cookies that sites set are kept and sent back, as a browser does. A durable job saves them, so a resumed crawl keeps its session.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseCookies { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = true;

    /// <summary>
    /// Whether HTTP/2 is used over TLS where the server offers it (negotiated with ALPN; HTTP/1.1 otherwise). Requests
    /// to one host then share a connection or a few.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Http2 { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = true;

    /// <summary>
    /// Whether <c>http://</c> URLs are fetched with HTTP/2 from the first byte, without asking (h2c with prior
    /// knowledge), for servers known to speak it; one that does not fails as <c>protocol</c>. Not through an HTTP proxy.
    /// </summary>
    /// <value>The default is <see langword="false"/>: <c>http://</c> URLs use HTTP/1.1.</value>
    public bool Http2PriorKnowledge { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>How many pooled connections one host may have open.</summary>
    /// <value>The default is 64.</value>
    public int MaxConnectionsPerServer { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 64;

    /// <summary>Refuses every later change.</summary>
    internal void Freeze()
    {
        _frozen = true;
        _userAgents.Freeze();
        _proxies.Freeze();
    }

    internal void Validate()
    {
        OptionChecks.Require(!string.IsNullOrWhiteSpace(UserAgent), "Downloader.UserAgent", "must not be empty");
        OptionChecks.Require(ConnectTimeout > TimeSpan.Zero, "Downloader.ConnectTimeout", "must be positive");
        OptionChecks.Require(Timeout > TimeSpan.Zero, "Downloader.Timeout", "must be positive");
        OptionChecks.Require(MaxResponseSize > 0, "Downloader.MaxResponseSize", "must be positive");
        OptionChecks.Require(MaxRedirects >= 0, "Downloader.MaxRedirects", "must not be negative");
        OptionChecks.Require(MaxConnectionsPerServer >= 1, "Downloader.MaxConnectionsPerServer", "must be at least 1");
        OptionChecks.Require(MaxProxyConnectionPools >= 1, "Downloader.MaxProxyConnectionPools", "must be at least 1");
        OptionChecks.Require(Enum.IsDefined(UserAgentRotation), "Downloader.UserAgentRotation", "must be RoundRobin or Random");
        OptionChecks.Require(Enum.IsDefined(ProxyRotation), "Downloader.ProxyRotation", "must be RoundRobin or Random");
        OptionChecks.Require(Http2 || !Http2PriorKnowledge, "Downloader.Http2PriorKnowledge", "needs Downloader.Http2");
        foreach (var userAgent in UserAgents)
        {
            OptionChecks.Require(!string.IsNullOrWhiteSpace(userAgent) && userAgent.AsSpan().IndexOfAny('\r', '\n') < 0, "Downloader.UserAgents", "must not hold an empty or multi-line user agent");
        }

        foreach (var proxy in Proxies)
        {
            if (!ProxyAddress.TryParse(proxy, out _, out var error))
            {
                OptionChecks.Require(false, "Downloader.Proxies", $"holds '{ProxyAddress.Redact(proxy ?? string.Empty)}', which is not a proxy URL: {error}");
            }
        }
    }

    /// <summary>
    /// A fingerprint of the proxy setup without credentials: which proxies (as <c>scheme://host:port</c>), in no
    /// particular order. A durable job compares it on resume to notice a changed setup.
    /// </summary>
    internal string ProxySetupFingerprint()
    {
        var proxies = Proxies
            .Select(static p => ProxyAddress.TryParse(p, out var proxy, out _) ? proxy.Display : p)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (proxies.Count == 0)
        {
            return "direct";
        }

        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', proxies)));
        return "proxies:" + Convert.ToHexStringLower(hash)[..16];
    }
}

/// <summary>How an entry of a rotating list (user agents, proxies) is picked for each request.</summary>
public enum RotationOrder
{
    /// <summary>Each in turn.</summary>
    RoundRobin,

    /// <summary>At random, independently for each request.</summary>
    Random,
}
