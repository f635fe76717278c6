using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>Runs a spider: validates its options, builds the engine and runs it.</summary>
internal static class Crawler
{
    public static async Task<CrawlResult> RunAsync(Spider spider, CrawlOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spider);
        ArgumentNullException.ThrowIfNull(options);
        spider.ConfigureOptions(options);
        options.Validate();
        var engine = await CrawlEngine.CreateAsync(spider, options, cancellationToken).ConfigureAwait(false);
        await using var disposeEngine = engine.ConfigureAwait(false);
        return await engine.RunAsync().ConfigureAwait(false);
    }
}
