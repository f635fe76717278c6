using System.Net;
using System.Net.Sockets;

namespace Trawl.Downloader;

/// <summary>
/// The address spaces browsers tell apart (Private Network Access): this machine, a private network, and the public
/// internet, from the most to the least private. A redirect may not lead from one to a more private one unless allowed.
/// </summary>
internal enum AddressSpace
{
    /// <summary>This machine: loopback (127.0.0.0/8, ::1), the unspecified address (0.0.0.0/8, ::), <c>localhost</c>.</summary>
    Local,

    /// <summary>
    /// A private network: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, link-local 169.254.0.0/16, shared 100.64.0.0/10,
    /// unique local fc00::/7 and link-local fe80::/10.
    /// </summary>
    Private,

    /// <summary>Everything else.</summary>
    Public,
}

/// <summary>Says which <see cref="AddressSpace"/> an address or a URL's host is in.</summary>
internal static class AddressSpaces
{
    /// <summary>Resolves a host name to its addresses; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> by default.</summary>
    internal delegate Task<IPAddress[]> Resolver(string host, CancellationToken cancellationToken);

    public static AddressSpace Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return AddressSpace.Local;
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var first = address.GetAddressBytes()[0];
            return (first & 0xFE) == 0xFC || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal ? AddressSpace.Private : AddressSpace.Public;
        }

        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 => AddressSpace.Local,
            10 => AddressSpace.Private,
            100 when (b[1] & 0xC0) == 64 => AddressSpace.Private,
            169 when b[1] == 254 => AddressSpace.Private,
            172 when (b[1] & 0xF0) == 16 => AddressSpace.Private,
            192 when b[1] == 168 => AddressSpace.Private,
            _ => AddressSpace.Public,
        };
    }

    /// <summary>
    /// The address space of a URL's host: from an IP literal or the name <c>localhost</c> (and its subdomains) at once;
    /// from the addresses a name resolves to when <paramref name="resolve"/> is given, taking the most private of them
    /// when <paramref name="mostPrivate"/> (for where a redirect leads) and the least private otherwise (for where it
    /// comes from). <see langword="null"/> when it cannot be told: no resolver, or the name does not resolve.
    /// </summary>
    public static async ValueTask<AddressSpace?> OfHostAsync(Uri url, Resolver? resolve, bool mostPrivate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        var host = url.IdnHost;
        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            return Of(literal);
        }

        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return AddressSpace.Local;
        }

        if (resolve is null)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await resolve(host, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return null;
        }

        if (addresses.Length == 0)
        {
            return null;
        }

        var spaces = addresses.Select(Of);
        return mostPrivate ? spaces.Min() : spaces.Max();
    }

    /// <summary>How a message names an address space.</summary>
    public static string Describe(AddressSpace space) => space switch
    {
        AddressSpace.Local => "this machine (a loopback address)",
        AddressSpace.Private => "a private network address",
        _ => "a public address",
    };
}
