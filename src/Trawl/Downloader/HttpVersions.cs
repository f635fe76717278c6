using System.Net;

namespace Trawl.Downloader;

/// <summary>Which HTTP version each request asks for (<see cref="DownloaderOptions.Http2"/>, <see cref="DownloaderOptions.Http2PriorKnowledge"/>).</summary>
/// <param name="Http2">HTTP/2 over TLS where the server offers it.</param>
/// <param name="PriorKnowledge">HTTP/2 without asking for <c>http://</c> URLs.</param>
internal readonly record struct HttpVersions(bool Http2, bool PriorKnowledge)
{
    /// <summary>Sets the version a request to <paramref name="url"/> asks for, and how strictly.</summary>
    public void Apply(HttpRequestMessage message, Uri url)
    {
        if (!Http2)
        {
            // The request's own default: HTTP/1.1, or lower.
            return;
        }

        if (string.Equals(url.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
        {
            // Offered in the TLS handshake (ALPN); a server that does not take it gets HTTP/1.1.
            message.Version = HttpVersion.Version20;
            message.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }
        else if (PriorKnowledge)
        {
            // Cleartext HTTP/2 has no negotiation: ask for it exactly, so the handler speaks it from the first byte.
            message.Version = HttpVersion.Version20;
            message.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
    }
}
