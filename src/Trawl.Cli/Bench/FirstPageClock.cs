using Trawl.Http;
using Trawl.Middleware;

namespace Trawl.Cli.Bench;

/// <summary>Notes when the first response arrived, to report the time from process start to the first page.</summary>
internal sealed class FirstPageClock
{
    private long _firstTicks;

    /// <summary>Notes now as the first response's time, unless one was noted already.</summary>
    public void Mark()
    {
        if (Volatile.Read(ref _firstTicks) == 0)
        {
            Interlocked.CompareExchange(ref _firstTicks, DateTime.UtcNow.Ticks, 0);
        }
    }

    /// <summary>Milliseconds from this process's start to the first response, or -1 if there was none.</summary>
    public double MillisecondsSinceProcessStart()
    {
        var first = Volatile.Read(ref _firstTicks);
        return first == 0 ? -1 : (new DateTime(first, DateTimeKind.Utc) - ProcessFigures.StartTimeUtc()).TotalMilliseconds;
    }

    /// <summary>A downloader middleware that marks the clock on every response (only the first counts).</summary>
    public DownloaderMiddleware Middleware() => new MarkOnResponse(this);

    private sealed class MarkOnResponse(FirstPageClock clock) : DownloaderMiddleware
    {
        public override ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken)
        {
            clock.Mark();
            return new ValueTask<Response>(response);
        }
    }
}
