using Trawl.Engine;

namespace Trawl.Downloader;

/// <summary>Settings of the HTTP downloader.</summary>
public sealed class DownloaderOptions
{
    /// <summary>The User-Agent header sent with every request that does not set its own.</summary>
    /// <value>The default is <c>Trawl/1.0 (+https://github.com/trawl)</c>.</value>
    public string UserAgent { get; set; } = "Trawl/1.0 (+https://github.com/trawl)";

    /// <summary>How long to wait for a TCP (and TLS) connection.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one download may take in all, from sending the request to the last body byte.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest body accepted, after decompression; larger downloads stop as <c>too_large</c> while streaming.</summary>
    /// <value>The default is 16 MiB.</value>
    public long MaxResponseSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>How many redirects are followed before the download fails as <c>redirects</c>.</summary>
    /// <value>The default is 10.</value>
    public int MaxRedirects { get; set; } = 10;

    /// <summary>Whether cookies that sites set are kept and sent back, as a browser does. A durable job saves them, so a resumed crawl keeps its session.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool UseCookies { get; set; } = true;

    /// <summary>How many pooled connections one host may have open.</summary>
    /// <value>The default is 64.</value>
    public int MaxConnectionsPerServer { get; set; } = 64;

    internal void Validate()
    {
        CrawlOptions.Require(!string.IsNullOrWhiteSpace(UserAgent), "Downloader.UserAgent", "must not be empty");
        CrawlOptions.Require(ConnectTimeout > TimeSpan.Zero, "Downloader.ConnectTimeout", "must be positive");
        CrawlOptions.Require(Timeout > TimeSpan.Zero, "Downloader.Timeout", "must be positive");
        CrawlOptions.Require(MaxResponseSize > 0, "Downloader.MaxResponseSize", "must be positive");
        CrawlOptions.Require(MaxRedirects >= 0, "Downloader.MaxRedirects", "must not be negative");
        CrawlOptions.Require(MaxConnectionsPerServer >= 1, "Downloader.MaxConnectionsPerServer", "must be at least 1");
    }
}
