using System.Buffers;
using System.Diagnostics;
using System.Net;
using AngleSharp.Html.Parser;

namespace Trawl.Cli.Bench;

/// <summary>
/// The ceilings a crawler is measured against, on the same pages: a plain <see cref="HttpClient"/> loop with
/// <see cref="Connections"/> connections that fetches every page of a sandbox site and discards the body (fetch), and
/// the same loop that also decodes each page, parses it with AngleSharp and resolves its links (fetch+parse). No
/// frontier, no deduplication, no items: what the machine allows.
/// </summary>
internal static class CeilingLoop
{
    /// <summary>Connections (and requests in flight) of the loop.</summary>
    public const int Connections = 64;

    // The options Trawl's own parser uses.
    private static readonly HtmlParser Parser = new(new HtmlParserOptions
    {
        IsScripting = false,
        IsKeepingSourceReferences = false,
        DisableElementPositionTracking = true,
    });

    /// <summary>Fetches <paramref name="urls"/> once each, <see cref="Connections"/> at a time.</summary>
    /// <param name="urls">The pages.</param>
    /// <param name="parse">Whether to parse each page and resolve its links.</param>
    /// <param name="clock">Marked at the first response.</param>
    /// <param name="progress">Called about once a second with the time so far and the pages done.</param>
    /// <param name="cancellationToken">Stops the loop.</param>
    public static async Task<(long Pages, long Failed, long Links, TimeSpan Elapsed)> RunAsync(
        IReadOnlyList<Uri> urls, bool parse, FirstPageClock clock, Action<TimeSpan, long> progress, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Connections,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var next = -1;
        long pages = 0, failed = 0, links = 0;
        var started = Stopwatch.GetTimestamp();

        async Task WorkerAsync()
        {
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < urls.Count)
                {
                    var url = urls[i];
                    try
                    {
                        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                        clock.Mark();
                        if (response.StatusCode != HttpStatusCode.OK)
                        {
                            Interlocked.Increment(ref failed);
                            continue;
                        }

                        if (parse)
                        {
                            var html = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                            Interlocked.Add(ref links, ResolveLinks(url, html));
                        }
                        else
                        {
                            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                            while (await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
                            {
                            }
                        }

                        Interlocked.Increment(ref pages);
                    }
                    catch (HttpRequestException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var workers = Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => WorkerAsync()));
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1)))
        {
            while (await Task.WhenAny(workers, timer.WaitForNextTickAsync(cancellationToken).AsTask()).ConfigureAwait(false) != workers)
            {
                progress(Stopwatch.GetElapsedTime(started), Interlocked.Read(ref pages));
            }
        }

        await workers.ConfigureAwait(false);
        return (pages, failed, links, Stopwatch.GetElapsedTime(started));
    }

    private static int ResolveLinks(Uri page, string html)
    {
        using var document = Parser.ParseDocument(html);
        var resolved = 0;
        foreach (var anchor in document.QuerySelectorAll("a[href]"))
        {
            if (Uri.TryCreate(page, anchor.GetAttribute("href"), out _))
            {
                resolved++;
            }
        }

        return resolved;
    }
}
