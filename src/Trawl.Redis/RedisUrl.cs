using System.Globalization;
using System.Net;
using System.Security.Authentication;
using System.Text;
using StackExchange.Redis;

namespace Trawl.Redis;

/// <summary>
/// A parsed Redis URL: <c>redis://[user:password@]host[:port][/db]</c>, or <c>rediss://…</c> for TLS.
/// </summary>
/// <remarks>
/// <para>The password is kept out of every string this type produces: <see cref="ToString"/> and
/// <see cref="RedactedUrl"/> print <c>***</c> in its place, and parse errors never echo the URL.</para>
/// <para>A URL with a user authenticates as that ACL user (<c>AUTH user password</c>, Redis 6 and later); one with only a
/// password (<c>redis://:password@host</c>) as the <c>default</c> user.</para>
/// </remarks>
public sealed class RedisUrl
{
    /// <summary>The port used when the URL names none.</summary>
    public const int DefaultPort = 6379;

    private const string Usage = "Expected redis://[user:password@]host[:port][/db] or rediss://… for TLS.";

    private RedisUrl(string host, int port, int database, bool useTls, string? user, string? password)
    {
        Host = host;
        Port = port;
        Database = database;
        UseTls = useTls;
        User = user;
        Password = password;
    }

    /// <summary>The server's host name or IP address.</summary>
    public string Host { get; }

    /// <summary>The server's port.</summary>
    public int Port { get; }

    /// <summary>The database number.</summary>
    public int Database { get; }

    /// <summary>Whether the connection uses TLS (<c>rediss://</c>).</summary>
    public bool UseTls { get; }

    /// <summary>The ACL user named in the URL, if any; <see langword="null"/> for the <c>default</c> user.</summary>
    public string? User { get; }

    /// <summary>Whether the URL carries a password.</summary>
    public bool HasPassword => Password is not null;

    /// <summary>The URL with the password replaced by <c>***</c>, for display and logs.</summary>
    public string RedactedUrl
    {
        get
        {
            var builder = new StringBuilder(UseTls ? "rediss://" : "redis://");
            if (User is not null || Password is not null)
            {
                builder.Append(Uri.EscapeDataString(User ?? string.Empty));
                if (Password is not null)
                {
                    builder.Append(":***");
                }

                builder.Append('@');
            }

            builder.Append(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host);
            builder.Append(CultureInfo.InvariantCulture, $":{Port}/{Database}");
            return builder.ToString();
        }
    }

    internal string? Password { get; }

    /// <summary>Parses a Redis URL.</summary>
    /// <exception cref="FormatException">The URL is not a valid Redis URL. The message never contains the URL itself,
    /// since it may carry a password.</exception>
    public static RedisUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
        {
            throw new FormatException($"The Redis URL is not a valid URL. {Usage}");
        }

        var tls = uri.Scheme switch
        {
            "redis" => false,
            "rediss" => true,
            _ => throw new FormatException($"The Redis URL has scheme '{uri.Scheme}'. {Usage}"),
        };

        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"The Redis URL has no host. {Usage}");
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new FormatException($"The Redis URL has a query or fragment, which is not supported. {Usage}");
        }

        var path = uri.AbsolutePath.Trim('/');
        var database = 0;
        if (path.Length > 0 && (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database) || database > 10_000))
        {
            throw new FormatException($"The Redis URL's path must be a database number. {Usage}");
        }

        string? user = null;
        string? password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            if (user.Length == 0)
            {
                user = null;
            }

            if (password is { Length: 0 })
            {
                password = null;
            }
        }

        if (user is not null && password is null)
        {
            // Sending no AUTH would log in as 'default' instead. The name is not echoed: it may be a password whose
            // colon was forgotten (redis://secret@host).
            throw new FormatException($"The Redis URL names a user without a password. {Usage}");
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host;
        return new RedisUrl(host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database, tls, user, password);
    }

    /// <summary>Returns <see cref="RedactedUrl"/>.</summary>
    public override string ToString() => RedactedUrl;

    /// <summary>
    /// Builds StackExchange.Redis options for this URL: no abort when the server is down at start (the multiplexer keeps
    /// reconnecting in the background), keep-alives, the ACL user if any, and TLS 1.2 or 1.3 for <c>rediss://</c>.
    /// </summary>
    /// <remarks>The returned object holds the password: never log it or its <c>ToString()</c>.</remarks>
    internal ConfigurationOptions ToConfigurationOptions(string clientName)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            // One attempt before ConnectAsync returns: the multiplexer goes on reconnecting in the background anyway,
            // and more attempts only delay the report of a refused user or password by up to ConnectTimeout each.
            ConnectRetry = 1,
            ConnectTimeout = 5000,
            SyncTimeout = 10_000,
            KeepAlive = 15,
            DefaultDatabase = Database,
            ClientName = clientName,
            User = User,
            Password = Password,
            AllowAdmin = false,

            // One server, not a set of primaries: no tie-breaker key and no master-changed channel, which an ACL user
            // allowed only the crawl's keys and channels (~trawl:* &trawl:*) may not touch.
            TieBreaker = string.Empty,
            ConfigurationChannel = string.Empty,
        };
        options.EndPoints.Add(IPAddress.TryParse(Host, out var address) ? new IPEndPoint(address, Port) : new DnsEndPoint(Host, Port));
        if (UseTls)
        {
            options.Ssl = true;
            options.SslHost = Host;
            options.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        }

        return options;
    }
}
