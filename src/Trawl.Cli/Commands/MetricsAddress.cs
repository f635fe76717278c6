using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Trawl.Sandbox;

namespace Trawl.Cli.Commands;

/// <summary>
/// Where <c>--metrics</c> listens: <c>[HOST:]PORT</c>. A bare port means 127.0.0.1; HOST is an IP address (IPv6 in
/// brackets) or <c>localhost</c>; port 0 picks a free one.
/// </summary>
internal sealed record MetricsAddress(IPAddress Address, int Port)
{
    /// <summary>Whether only this machine can connect.</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Address);

    /// <summary>Parses a <c>--metrics</c> value, throwing <see cref="CliUsageException"/> with one clear line.</summary>
    public static MetricsAddress Parse(string value)
    {
        var text = value.Trim();
        var colon = text.LastIndexOf(':');
        var host = colon < 0 ? null : text[..colon];
        var port = colon < 0 ? text : text[(colon + 1)..];
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number > IPEndPoint.MaxPort)
        {
            throw Invalid(value, "the port must be a number from 0 to 65535");
        }

        return new MetricsAddress(host is null ? IPAddress.Loopback : ParseHost(value, host), number);
    }

    /// <summary><c>HOST:PORT</c>, with IPv6 in brackets.</summary>
    public override string ToString() => Host(Address) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>An address as the host part of a URL: IPv6 in brackets.</summary>
    public static string Host(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    private static IPAddress ParseHost(string value, string host)
    {
        var bracketed = host.Length > 2 && host[0] == '[' && host[^1] == ']';
        if (!bracketed && host.Contains(':', StringComparison.Ordinal))
        {
            throw Invalid(value, "write an IPv6 address in brackets, like [::1]:9100");
        }

        return SandboxOptions.TryParseHost(bracketed ? host[1..^1] : host, out var address) && (!bracketed || address.AddressFamily == AddressFamily.InterNetworkV6)
            ? address
            : throw Invalid(value, "HOST must be an IP address or localhost");
    }

    private static CliUsageException Invalid(string value, string why) =>
        new($"Invalid --metrics '{value}': {why}. Give [HOST:]PORT, like 9100 (127.0.0.1:9100) or 0.0.0.0:9100.");
}
