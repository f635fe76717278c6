using Spectre.Console.Testing;
using Trawl.Cli.Hosting;
using Trawl.Engine;

namespace Trawl.Tests.Cli;

/// <summary>The live display's figure for a crawl that renders: its pages fetched plainly and rendered.</summary>
public sealed class RenderedFiguresDisplayTests
{
    [Fact]
    public void ACrawlThatRenders_ShowsItsPagesFetchedPlainlyAndRendered_InTheLiveAndFinalFrames()
    {
        var progress = Progress(new CrawlStats { Pages = 1_500, Items = 1_500, FetchedPlain = 1_203, Rendered = 412, Elapsed = TimeSpan.FromSeconds(30) });

        Text(ProgressView.Live("trawl: app", progress, height: 40, width: 120), 120).ShouldContain("1,203 fetched plainly, 412 rendered");
        Text(ProgressView.Final("trawl: app", progress, width: 120), 120).ShouldContain("1,203 fetched plainly, 412 rendered");
    }

    [Fact]
    public void APlainCrawl_ShowsNoRenderingFigure()
    {
        var progress = Progress(new CrawlStats { Pages = 10, Items = 10, FetchedPlain = 10, Elapsed = TimeSpan.FromSeconds(1) });

        Text(ProgressView.Final("trawl: plain", progress, width: 120), 120).ShouldNotContain("rendered");
    }

    private static string Text(Spectre.Console.Rendering.IRenderable renderable, int width)
    {
        using var console = new TestConsole().Width(width);
        console.Write(renderable);
        return string.Join('\n', console.Lines);
    }

    private static CrawlProgress Progress(CrawlStats stats) => new()
    {
        Stats = stats,
        Queued = 0,
        InFlight = 0,
        CurrentPagesPerSecond = 50,
        Stopping = false,
    };
}
