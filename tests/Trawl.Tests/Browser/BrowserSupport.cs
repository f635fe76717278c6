using System.Text.Json.Nodes;
using Trawl.Browser;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Sandbox;
using Trawl.Spiders.Declarative;

namespace Trawl.Tests.Browser;

/// <summary>The system's Chromium and what the browser tests share.</summary>
public static class BrowserSupport
{
    /// <summary>The browser, found as trawl finds it (TRAWL_BROWSER, else chromium on the PATH).</summary>
    public static string ExecutablePath => BrowserLocator.Find(given: null);

    /// <summary>
    /// What the tests wait for on a rendered page: its h1 (every page of the mixed site has one, the app section's once its
    /// script ran). Waiting for the network to go idle is the default, but on a machine loaded enough that a script starts
    /// its fetch more than half a second after it loaded, the page would be taken before it was built.
    /// </summary>
    public const string Ready = "h1";

    /// <summary>A mixed site: plain pages (home and 20 synthetic pages) beside a script-built section of 10 items.</summary>
    public static SandboxOptions MixedSite(int appPages = 10, long seed = 7) => new()
    {
        Pages = 20,
        LinksPerPage = 3,
        PageSize = 512,
        QuotePages = 0,
        AppPages = appPages,
        Seed = seed,
    };

    /// <summary>The plain pages of a site: every page reachable by plain links, but the app section's shell.</summary>
    public static IReadOnlySet<string> PlainPaths(SandboxOptions site) =>
        SandboxSite.ReachablePaths(site).Where(static path => !path.StartsWith("/app/", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Follows every link on the start host (or those matching <paramref name="allow"/>); one item per page with its h1 and its p.summary.</summary>
    public static DeclarativeSpider Spider(SandboxServer server, string start = "/", string? allow = null) => new(new DeclarativeSpiderDefinition
    {
        Name = "mixed",
        Start = { new Uri(server.BaseUrl, start).AbsoluteUri },
        Allow = allow is null ? [] : [allow],
        Fields = { ["title"] = "h1::text", ["summary"] = "p.summary::text" },
    });

    public static BrowserRenderer NewRenderer(int maxPages = 4, int restartAfterPages = 1000) =>
        new(new BrowserOptions { ExecutablePath = ExecutablePath, MaxPages = maxPages, RestartAfterPages = restartAfterPages });

    /// <summary>The items of a result by path.</summary>
    public static Dictionary<string, JsonObject> ItemsByPath(CrawlResult result) =>
        result.Items.Cast<JsonObject>().ToDictionary(static item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath, StringComparer.Ordinal);

    public static CrawlOptions Options(int concurrency = 4) => new() { Concurrency = concurrency, ConcurrencyPerDomain = concurrency, HandleSignals = false };

    /// <summary>Closes the renderer and checks that none of the browsers it started left a process behind.</summary>
    public static async Task DisposeAndCheckNoOrphansAsync(BrowserRenderer renderer)
    {
        await renderer.DisposeAsync();
        renderer.AllProcesses().ShouldBeEmpty("every browser process is gone once the renderer is disposed");
    }
}

/// <summary>One browser shared by the tests of a class: each launch costs a second or two.</summary>
public sealed class SharedBrowser : IAsyncLifetime
{
    public BrowserRenderer Renderer { get; } = BrowserSupport.NewRenderer();

    public Task InitializeAsync() => Renderer.StartAsync();

    public Task DisposeAsync() => BrowserSupport.DisposeAndCheckNoOrphansAsync(Renderer);
}
