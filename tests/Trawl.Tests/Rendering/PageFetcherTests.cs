using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Tests.Http;

namespace Trawl.Tests.Rendering;

/// <summary>How the page fetcher routes requests, with a downloader and a renderer that only record their calls.</summary>
public sealed class PageFetcherTests
{
    private const string Shell = "<html><body><div id=\"app\"></div><script src=\"/app.js\"></script></body></html>";
    private const string Built = "<html><body><div id=\"app\"><h1>Item</h1><a href=\"/a\">a</a><a href=\"/b\">b</a></div><script src=\"/app.js\"></script></body></html>";

    [Fact]
    public async Task WithoutRenderer_EveryRequestIsPlain_AndOneAskingToBeRenderedFails()
    {
        var http = new RecordingDownloader(Shell);
        using var fetcher = NewFetcher(http, renderer: null, RenderMode.Never);

        (await fetcher.DownloadAsync(new Request("https://a.example/x"), CancellationToken.None)).IsSuccess.ShouldBeTrue();
        var asked = await fetcher.DownloadAsync(new Request("https://a.example/y") { Meta = { [RequestMeta.Render] = true } }, CancellationToken.None);

        asked.Error.ShouldBe(DownloadError.InvalidRequest);
        asked.Message!.ShouldContain("no renderer");
        http.Calls.ShouldBe(1);
        fetcher.FetchedPlain.ShouldBe(1);
        fetcher.Rendered.ShouldBe(0);
    }

    [Fact]
    public async Task Always_RendersGets_ButNotOtherMethods_NorARequestThatSaysNo()
    {
        var http = new RecordingDownloader(Shell);
        var renderer = new RecordingRenderer(Built);
        using var fetcher = NewFetcher(http, renderer, RenderMode.Always);

        await fetcher.DownloadAsync(new Request("https://a.example/1"), CancellationToken.None);
        await fetcher.DownloadAsync(new Request("https://a.example/2") { Method = "POST" }, CancellationToken.None);
        await fetcher.DownloadAsync(new Request("https://a.example/3") { Meta = { [RequestMeta.Render] = false } }, CancellationToken.None);
        await fetcher.DownloadAsync(new Request("https://a.example/4") { Meta = { [RequestMeta.RenderWaitFor] = "h1" } }, CancellationToken.None);

        renderer.Requests.Select(static r => r.Request.Url.AbsolutePath).ShouldBe(["/1", "/4"]);
        renderer.Requests[0].WaitFor.ShouldBeNull();
        renderer.Requests[1].WaitFor.ShouldBe("h1");
        http.Calls.ShouldBe(2);
        (fetcher.FetchedPlain, fetcher.Rendered).ShouldBe((2L, 2L));
    }

    [Fact]
    public async Task Auto_RendersAShell_ThenItsPatternAtOnce_AndNeverAPageThatNeedsNothing()
    {
        var http = new RecordingDownloader(Shell);
        var renderer = new RecordingRenderer(Built);
        using var fetcher = NewFetcher(http, renderer, RenderMode.Auto);

        for (var i = 0; i < 5; i++)
        {
            var result = await fetcher.DownloadAsync(new Request($"https://a.example/app/item/{i}"), CancellationToken.None);
            result.Response!.Css("h1::text").Get().ShouldBe("Item");
        }

        http.Calls.ShouldBe(2, "two shells fetched plainly teach the pattern (AutoLearnAfter)");
        renderer.Requests.Count.ShouldBe(5);
        fetcher.LearnedPatterns["https://a.example/app/item/*"].ShouldBeTrue();

        var plainHttp = new RecordingDownloader("<html><body><h1>Plain</h1><p>" + new string('x', 300) + "</p><script>x()</script></body></html>");
        var plainRenderer = new RecordingRenderer(Built);
        using var plainFetcher = NewFetcher(plainHttp, plainRenderer, RenderMode.Auto);
        await plainFetcher.DownloadAsync(new Request("https://a.example/pages/1"), CancellationToken.None);
        plainRenderer.Requests.ShouldBeEmpty("a page with content of its own is not rendered");
    }

    [Fact]
    public async Task Auto_WhereRenderingAddsNothing_LearnsToKeepThePatternPlain()
    {
        // A shell-looking page whose script adds nothing: the renderer gives back the same page.
        var http = new RecordingDownloader(Shell);
        var renderer = new RecordingRenderer(Shell);
        using var fetcher = NewFetcher(http, renderer, RenderMode.Auto);

        for (var i = 0; i < 5; i++)
        {
            await fetcher.DownloadAsync(new Request($"https://a.example/tool/{i}"), CancellationToken.None);
        }

        renderer.Requests.Count.ShouldBe(1, "once rendering added nothing, the pattern's pages stay plain");
        http.Calls.ShouldBe(5);
        fetcher.LearnedPatterns["https://a.example/tool/*"].ShouldBeFalse();
    }

    [Fact]
    public async Task Auto_AsksTheSpider_AndAThrowKeepsThePlainPage()
    {
        var http = new RecordingDownloader(Shell);
        var renderer = new RecordingRenderer(Built);
        using var fetcher = new PageFetcher(http, renderer, new RenderOptions { Mode = RenderMode.Auto }, null, "test", null, static _ => false, NullLogger.Instance);

        await fetcher.DownloadAsync(new Request("https://a.example/app/item/1"), CancellationToken.None);

        renderer.Requests.ShouldBeEmpty("the spider said the page needs no rendering");
    }

    private static PageFetcher NewFetcher(IDownloader http, IPageRenderer? renderer, RenderMode mode) =>
        new(http, renderer, new RenderOptions { Mode = mode }, null, "test", null, static response => PageSignals.Of(response).LooksLikeAppShell, NullLogger.Instance);

    private sealed class RecordingDownloader(string html) : IDownloader
    {
        public int Calls { get; private set; }

        public ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(DownloadResult.Success(TestResponses.Html(html, request.Url.AbsoluteUri)));
        }

        public void Dispose()
        {
        }
    }

    private sealed class RecordingRenderer(string html) : IPageRenderer
    {
        public List<RenderRequest> Requests { get; } = [];

        public ValueTask<DownloadResult> RenderAsync(RenderRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return ValueTask.FromResult(DownloadResult.Success(TestResponses.Html(html, request.Request.Url.AbsoluteUri)));
        }
    }
}
