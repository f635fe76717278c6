using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Trawl.Http;

/// <summary>
/// A proxy given as a URL: <c>http://HOST:PORT</c>, <c>socks5://HOST:PORT</c>, <c>socks4://</c> or <c>socks4a://</c>,
/// optionally with <c>USER:PASSWORD@</c> (percent-encoded). The credentials are kept apart from the address, so the
/// address can be logged and fingerprinted and the password never is.
/// </summary>
/// <remarks>
/// Use <see cref="TryParse"/> to check a proxy setting before a crawl (the crawl's own validation does the same), and
/// <see cref="Redact"/> to show one that did not parse without its password.
/// </remarks>
public sealed class ProxyAddress
{
    private ProxyAddress(string scheme, string host, int port, NetworkCredential? credentials)
    {
        Scheme = scheme;
        Host = host;
        Port = port;
        Credentials = credentials;
        Address = new UriBuilder(scheme, host, port).Uri;
    }

    /// <summary>The scheme, lower-case: <c>http</c>, <c>socks5</c>, <c>socks4</c> or <c>socks4a</c>.</summary>
    public string Scheme { get; }

    /// <summary>The host, lower-case, an IDN in its ASCII form.</summary>
    public string Host { get; }

    /// <summary>The port: the URL's, else 80 for <c>http</c> and 1080 for SOCKS.</summary>
    public int Port { get; }

    /// <summary>The proxy's URL without credentials: safe to log.</summary>
    public Uri Address { get; }

    /// <summary>The user name and password, if the URL had them.</summary>
    internal NetworkCredential? Credentials { get; }

    /// <summary>What tells two proxies apart for connection pooling: the address and the credentials.</summary>
    internal string PoolKey => Credentials is null ? Display : $"{Display}\n{Credentials.UserName}\n{Credentials.Password}";

    /// <summary><c>scheme://host:port</c>, lower-case, without credentials.</summary>
    internal string Display => $"{Scheme}://{Host}:{Port}";

    /// <summary>Parses a proxy URL. On failure, <paramref name="error"/> says why, without repeating any password.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ProxyAddress? proxy, [NotNullWhen(false)] out string? error)
    {
        proxy = null;
        var trimmed = text?.Trim() ?? string.Empty;
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            error = "it is not an absolute URL with a host, such as http://HOST:PORT or socks5://HOST:PORT";
            return false;
        }

        var scheme = uri.Scheme.ToLowerInvariant();
        if (scheme is not ("http" or "socks5" or "socks4" or "socks4a"))
        {
            error = $"its scheme '{scheme}' is not http, socks5, socks4 or socks4a";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            error = "a proxy URL has no path, query or fragment";
            return false;
        }

        var port = uri.Port;
        if (port <= 0)
        {
            port = scheme == "http" ? 80 : 1080;
        }

        NetworkCredential? credentials = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            var password = colon < 0 ? string.Empty : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            credentials = new NetworkCredential(user, password);
        }

        proxy = new ProxyAddress(scheme, uri.IdnHost.ToLowerInvariant(), port, credentials);
        error = null;
        return true;
    }

    /// <summary>A proxy URL with any password replaced, for messages about a value that did not parse.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.LastIndexOf('@');
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        return at > 0 && scheme >= 0 && at > scheme ? text[..(scheme + 3)] + "***@" + text[(at + 1)..] : text;
    }

    /// <summary><c>scheme://host:port</c>, without credentials: safe to log.</summary>
    public override string ToString() => Display;
}
