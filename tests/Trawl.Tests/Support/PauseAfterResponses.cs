using Trawl.Http;
using Trawl.Middleware;

namespace Trawl.Tests.Support;

/// <summary>Cancels a token once the crawl has seen N responses: a graceful pause at a known point.</summary>
public sealed class PauseAfterResponses(int responses, CancellationTokenSource pause) : DownloaderMiddleware
{
    private int _seen;

    public override ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _seen) == responses)
        {
            pause.Cancel();
        }

        return new(response);
    }
}
