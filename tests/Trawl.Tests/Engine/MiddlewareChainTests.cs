using Trawl.Downloader;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Middleware;

namespace Trawl.Tests.Engine;

public sealed class MiddlewareChainTests
{
    private static readonly Request Page = new("http://example.com/page");

    [Fact]
    public async Task WithoutMiddleware_EveryStepPassesStraightThrough_Synchronously()
    {
        var chain = new MiddlewareChain([]);
        var response = ScriptedDownloader.Text(Page, 200, "ok").Response!;

        var request = chain.ProcessRequestAsync(Page, CancellationToken.None);
        var error = chain.ProcessErrorAsync(Page, DownloadResult.Failure(DownloadError.Refused, "refused"), CancellationToken.None);
        var processed = chain.ProcessResponseAsync(response, CancellationToken.None);

        request.IsCompletedSuccessfully.ShouldBeTrue();
        error.IsCompletedSuccessfully.ShouldBeTrue();
        processed.IsCompletedSuccessfully.ShouldBeTrue();
        (await request).Value.ShouldBeSameAs(Page);
        (await error).Value.ShouldBeNull();
        (await processed).Value.ShouldBeSameAs(response);
    }

    [Fact]
    public async Task RequestsGoInOrder_ResponsesAndErrorsInReverse()
    {
        var calls = new List<string>();
        var chain = new MiddlewareChain([new Recording("a", calls), new Recording("b", calls)]);

        await chain.ProcessRequestAsync(Page, CancellationToken.None);
        await chain.ProcessResponseAsync(ScriptedDownloader.Text(Page, 200, "ok").Response!, CancellationToken.None);
        await chain.ProcessErrorAsync(Page, DownloadResult.Failure(DownloadError.Refused, "refused"), CancellationToken.None);

        calls.ShouldBe(["a.request", "b.request", "b.response", "a.response", "b.error", "a.error"]);
    }

    [Fact]
    public async Task AMiddlewareThatSkips_IsNamed_AndTheOnesAfterItAreNotAsked()
    {
        var calls = new List<string>();
        var skipper = new Recording("skip", calls, skip: true);
        var chain = new MiddlewareChain([skipper, new Recording("after", calls)]);

        var result = await chain.ProcessRequestAsync(Page, CancellationToken.None);

        result.Value.ShouldBeNull();
        result.SkippedBy.ShouldBeSameAs(skipper);
        result.Fault.ShouldBeNull();
        calls.ShouldBe(["skip.request"]);
    }

    [Theory]
    [InlineData(nameof(DownloaderMiddleware.ProcessRequestAsync))]
    [InlineData(nameof(DownloaderMiddleware.ProcessResponseAsync))]
    [InlineData(nameof(DownloaderMiddleware.ProcessErrorAsync))]
    public async Task AHookThatThrows_ComesBackAsItsFault_NamingTheHook(string hook)
    {
        var chain = new MiddlewareChain([new ThrowingMiddleware(url => hook == nameof(DownloaderMiddleware.ProcessRequestAsync), url => hook == nameof(DownloaderMiddleware.ProcessResponseAsync), url => hook == nameof(DownloaderMiddleware.ProcessErrorAsync))]);

        var fault = hook switch
        {
            nameof(DownloaderMiddleware.ProcessRequestAsync) => (await chain.ProcessRequestAsync(Page, CancellationToken.None)).Fault,
            nameof(DownloaderMiddleware.ProcessResponseAsync) => (await chain.ProcessResponseAsync(ScriptedDownloader.Text(Page, 200, "ok").Response!, CancellationToken.None)).Fault,
            _ => (await chain.ProcessErrorAsync(Page, DownloadResult.Failure(DownloadError.Refused, "refused"), CancellationToken.None)).Fault,
        };

        fault.ShouldNotBeNull().Hook.ShouldBe(hook);
        fault.Where.ShouldBe($"{nameof(ThrowingMiddleware)}.{hook}");
        fault.Exception.ShouldBeOfType<InvalidOperationException>();
    }

    [Fact]
    public async Task AResponseHookReturningNull_IsAFault_NotACrashLater()
    {
        var chain = new MiddlewareChain([new NullResponse()]);

        var result = await chain.ProcessResponseAsync(ScriptedDownloader.Text(Page, 200, "ok").Response!, CancellationToken.None);

        result.Value.ShouldBeNull();
        result.Fault.ShouldNotBeNull().Exception.Message.ShouldContain("returned null");
    }

    [Fact]
    public async Task TheCrawlStoppingAtOnce_IsNotAFaultOfTheMiddleware()
    {
        using var abort = new CancellationTokenSource();
        await abort.CancelAsync();
        var chain = new MiddlewareChain([new Cancelling()]);

        await Should.ThrowAsync<OperationCanceledException>(async () => await chain.ProcessRequestAsync(Page, abort.Token));
    }

    private sealed class Recording(string name, List<string> calls, bool skip = false) : DownloaderMiddleware
    {
        public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            calls.Add(name + ".request");
            return new(skip ? null : request);
        }

        public override ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken)
        {
            calls.Add(name + ".response");
            return new(response);
        }

        public override ValueTask<Response?> ProcessErrorAsync(Request request, DownloadResult failure, CancellationToken cancellationToken)
        {
            calls.Add(name + ".error");
            return new((Response?)null);
        }
    }

    private sealed class NullResponse : DownloaderMiddleware
    {
        public override ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken) => new((Response)null!);
    }

    private sealed class Cancelling : DownloaderMiddleware
    {
        public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return new(request);
        }
    }
}
