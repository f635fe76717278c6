using System.Globalization;
using System.Text.RegularExpressions;
using Trawl.Cli.Hosting;

namespace Trawl.Cli.Bench;

/// <summary>
/// The site a benchmark crawls: the sandbox site, served by <c>trawl sandbox serve</c> in a child process on a free
/// loopback port, or a sandbox site served already at a URL (an export served by nginx).
/// </summary>
internal sealed partial class BenchSiteHost : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly CliChildProcess? _server;

    private BenchSiteHost(BenchSite site, CliChildProcess? server)
    {
        Site = site;
        _server = server;
    }

    public BenchSite Site { get; }

    /// <summary>Starts <c>trawl sandbox serve</c> with <paramref name="pages"/> pages (4 KB and 10 links each, no quotes section) and waits until it listens.</summary>
    public static async Task<BenchSiteHost> StartAsync(int pages, CancellationToken cancellationToken)
    {
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = CliChildProcess.Start(
            ["sandbox", "serve", "--pages", pages.ToString(CultureInfo.InvariantCulture), "--quote-pages", "0", "--port", "0", "--exit-on-stdin-close"],
            onOutputLine: line =>
            {
                if (ServingLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups["url"].Value));
                }
            });
        try
        {
            Task first;
            try
            {
                first = await Task.WhenAny(listening.Task, server.WaitAsync(cancellationToken)).WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException($"The sandbox site did not listen within {StartTimeout.TotalSeconds:0} s: {LastLine(server.Error)}");
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (first != listening.Task)
            {
                throw new InvalidOperationException($"The sandbox site did not start: {LastLine(server.Error)}");
            }

            var url = await listening.Task.ConfigureAwait(false);
            return new BenchSiteHost(new BenchSite(url, pages, "trawl sandbox serve, in its own process"), server);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Uses the sandbox site (or an export of it) served at <paramref name="url"/>: reads its page count from its home
    /// page, and checks it has no quotes section, so that every crawler fetches the same pages.
    /// </summary>
    /// <exception cref="CliUsageException">The URL does not serve a sandbox site without quotes section.</exception>
    public static async Task<BenchSiteHost> AttachAsync(Uri url, CancellationToken cancellationToken)
    {
        string home;
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            home = await client.GetStringAsync(url, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new CliUsageException($"Cannot fetch --url {url}: {ex.Message}");
        }

        if (SiteSize().Match(home) is not { Success: true } size || !int.TryParse(size.Groups["pages"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
        {
            throw new CliUsageException($"--url {url} does not serve a trawl sandbox site: serve one with 'trawl sandbox serve', or an export of 'trawl sandbox export'.");
        }

        if (home.Contains("href=\"/quotes/\"", StringComparison.Ordinal))
        {
            throw new CliUsageException($"The sandbox site at --url {url} has a quotes section: serve or export it with --quote-pages 0, so every crawler fetches the same pages.");
        }

        return new BenchSiteHost(new BenchSite(url, pages, "served at --url"), null);
    }

    /// <summary>Stops the sandbox server, if bench started one: it stops when its standard input closes, or is killed after 10 s.</summary>
    public async Task StopAsync()
    {
        if (_server is null)
        {
            return;
        }

        _server.CloseInput();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _server.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _server.Kill();
        }
    }

    public void Dispose() => _server?.Dispose();

    internal static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(line => !BenchSample.TryParse(line, out _)) ?? "no message";

    [GeneratedRegex(@"^Serving .* at (?<url>http://\S+/) \(")]
    private static partial Regex ServingLine();

    [GeneratedRegex(@"synthetic site of (?<pages>\d+) pages")]
    private static partial Regex SiteSize();
}
