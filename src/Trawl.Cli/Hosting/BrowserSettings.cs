using Microsoft.Extensions.Logging;
using Trawl.Browser;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Rendering;
using Trawl.Spiders;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Hosting;

/// <summary>The browser a crawl renders with, as the command line gives it: <c>--browser</c>, <c>--browser-pages</c>, <c>--render-block</c>.</summary>
internal sealed record BrowserSettings(string? Path, int? Pages, IReadOnlyCollection<string>? BlockedResourceTypes)
{
    /// <summary>The kinds of request a page makes, as Playwright names them.</summary>
    public static IReadOnlyList<string> ResourceTypes { get; } =
        ["document", "stylesheet", "image", "media", "font", "script", "texttrack", "xhr", "fetch", "eventsource", "websocket", "manifest", "other"];

    public static bool IsResourceType(string type) => ResourceTypes.Contains(type, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The renderer for a crawl, or <see langword="null"/> when it renders nothing and no browser is at hand. When the
    /// crawl asks to render (<c>--render</c>, a spider file's <c>"render"</c>) or names a browser, a browser must be
    /// found; otherwise one found is given to the crawl unstarted (a spider or a request may still ask for rendering), and
    /// starts only if a page is rendered.
    /// </summary>
    /// <exception cref="BrowserNotFoundException">No browser was found where one is needed; the message names the package.</exception>
    public BrowserRenderer? CreateRenderer(Spider spider, CrawlOptions options, ILoggerFactory loggerFactory)
    {
        var wanted = Path is not null || Pages is not null || BlockedResourceTypes is not null
            || options.Render.Mode != RenderMode.Never || spider is DeclarativeSpider { Render: RenderMode.Auto or RenderMode.Always };
        string executable;
        try
        {
            executable = BrowserLocator.Find(Path);
        }
        catch (BrowserNotFoundException) when (!wanted)
        {
            return null;
        }

        return new BrowserRenderer(
            new BrowserOptions
            {
                ExecutablePath = executable,
                MaxPages = Pages ?? BrowserOptions.DefaultMaxPages,
                BlockedResourceTypes = BlockedResourceTypes ?? BrowserOptions.DefaultBlockedResourceTypes,
            },
            loggerFactory);
    }

    /// <summary>
    /// Starts the browser before the crawler fetches anything when its settings render pages, so a browser that cannot
    /// start is one clear error rather than a failure on every page.
    /// </summary>
    /// <exception cref="BrowserLaunchException">The browser did not start.</exception>
    public static async Task StartIfRenderingAsync(BrowserRenderer? renderer, Crawler crawler)
    {
        if (renderer is not null && crawler.Options.Render.Mode != RenderMode.Never)
        {
            await renderer.StartAsync().ConfigureAwait(false);
        }
    }
}
