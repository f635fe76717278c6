using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Downloader;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Tests.Engine;

/// <summary>Small pieces the unit tests of the engine's parts share.</summary>
internal static class EngineParts
{
    private static long _tokens;

    public static Lease Lease(string url, int attempt = 1) =>
        new(Interlocked.Increment(ref _tokens), Interlocked.Increment(ref _tokens), new Request(url), attempt, DateTimeOffset.MaxValue);

    public static Completion Done(string url) => Completion.Done(Lease(url), 200, [], []);

    public static StatsCollector Stats(TimeProvider? time = null) => new(time ?? TimeProvider.System, "test", static () => 0);

    public static CrawlLifetime Lifetime(CancellationToken pause = default, CancellationToken abort = default, TimeProvider? time = null, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        new(pause, abort, time ?? TimeProvider.System, logger ?? NullLogger.Instance);
}

/// <summary>A downloader that answers each request with what a function says, and counts what it was asked.</summary>
internal sealed class ScriptedDownloader(Func<Request, CancellationToken, ValueTask<DownloadResult>> answer) : IDownloader
{
    private readonly List<string> _asked = [];

    public IReadOnlyList<string> Asked
    {
        get
        {
            lock (_asked)
            {
                return [.. _asked];
            }
        }
    }

    public ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken)
    {
        lock (_asked)
        {
            _asked.Add(request.Url.AbsoluteUri);
        }

        return answer(request, cancellationToken);
    }

    public void Dispose()
    {
    }

    public static DownloadResult Text(Request request, int status, string body) =>
        DownloadResult.Success(new Response(
            request,
            request.Url,
            status,
            new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = ["text/plain"] },
            System.Text.Encoding.UTF8.GetBytes(body)));
}
