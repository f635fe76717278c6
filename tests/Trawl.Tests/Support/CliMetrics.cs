using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Trawl.Tests.Support;

/// <summary>What the tests of <c>trawl crawl --metrics</c> read from a child process and the machine.</summary>
public static partial class CliMetrics
{
    /// <summary>The metrics URL the child printed (<c>Metrics: URL</c>).</summary>
    public static async Task<Uri> UrlAsync(CliProcess child, TimeSpan timeout)
    {
        Match match = Match.Empty;
        await Waiting.UntilAsync(() => (match = MetricsLine().Match(child.Output)).Success || child.HasExited, timeout, "the metrics URL");
        match.Success.ShouldBeTrue(child.Output + child.Error);
        return new Uri(match.Groups[1].Value);
    }

    /// <summary>The pages, items and failures of the closing summary line.</summary>
    public static (long Pages, long Items, long Failed) Summary(string output)
    {
        var match = SummaryLine().Match(output);
        match.Success.ShouldBeTrue(output);
        return (Number(match.Groups[1].Value), Number(match.Groups[2].Value), Number(match.Groups[3].Value));
    }

    /// <summary>
    /// The local IPv4 address (as /proc/net/tcp writes it: 0100007F is 127.0.0.1, 00000000 any) that a socket listening on
    /// <paramref name="port"/> is bound to.
    /// </summary>
    public static string ListeningAddress(int port)
    {
        OperatingSystem.IsLinux().ShouldBeTrue("the listening address is read from /proc/net/tcp");
        var suffix = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        var listening = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[1].EndsWith(suffix, StringComparison.Ordinal) && fields[3] == "0A")
            .Select(fields => fields[1][..^suffix.Length])
            .ToList();
        return listening.ShouldHaveSingleItem($"one IPv4 socket listens on port {port}");
    }

    /// <summary>
    /// Whether a connection to <paramref name="port"/> on 127.0.0.2 is accepted. The whole of 127/8 is this machine,
    /// so only a socket bound to every address (or to 127.0.0.2) answers there; one bound to 127.0.0.1 refuses.
    /// </summary>
    public static async Task<bool> AcceptsOnOtherAddressAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("127.0.0.2", port);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
    }

    private static long Number(string text) => long.Parse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^Metrics: (\S+)\r?$", RegexOptions.Multiline)]
    private static partial Regex MetricsLine();

    [GeneratedRegex(@"([\d,]+) pages, ([\d,]+) items, ([\d,]+) failed")]
    private static partial Regex SummaryLine();
}
