using Trawl.Engine;
using Trawl.Spiders;

namespace Trawl.Hosting;

/// <summary>One crawl registered with <c>AddTrawl</c>: its configuration section, its spider, and what its crawler is given.</summary>
internal sealed class CrawlRegistration(string name, Type spiderType, Func<IServiceProvider, Spider> spiderFactory)
{
    /// <summary>The configuration section path, which also names the crawl's options.</summary>
    public string Name { get; } = name;

    /// <summary>The spider's type, for messages.</summary>
    public Type SpiderType { get; } = spiderType;

    /// <summary>Makes the spider for a run.</summary>
    public Func<IServiceProvider, Spider> SpiderFactory { get; } = spiderFactory;

    /// <summary>What the crawler is given when it starts, in order: pipelines, middleware and the like.</summary>
    public List<Action<IServiceProvider, CrawlerBuilder>> CrawlerSetup { get; } = [];
}
