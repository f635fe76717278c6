using Trawl.Sandbox;

namespace Trawl.Tests.Support;

/// <summary>Starts a fresh sandbox site for one test, so its fetch counts belong to that test alone.</summary>
public static class TestSites
{
    public static Task<SandboxServer> StartAsync(int pages = 100, int quotePages = 0, Action<SandboxOptions>? configure = null)
    {
        var options = new SandboxOptions { Pages = pages, QuotePages = quotePages, PageSize = 1024, Seed = 7 };
        configure?.Invoke(options);
        return SandboxServer.StartAsync(options);
    }

    /// <summary>Fetch counts of the site's pages only (the paths <see cref="SandboxSite.ReachablePaths"/> lists).</summary>
    public static Dictionary<string, int> PageFetches(SandboxServer server, SandboxOptions options)
    {
        var pages = SandboxSite.ReachablePaths(options);
        return server.FetchCounts().Where(pair => pages.Contains(pair.Key)).ToDictionary(pair => pair.Key, pair => pair.Value);
    }
}
