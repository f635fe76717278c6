using Microsoft.Extensions.DependencyInjection;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Items;
using Trawl.Middleware;

namespace Trawl.Hosting;

/// <summary>
/// Adds to one crawl registered with <c>AddTrawl</c>: item pipelines and downloader middleware from dependency
/// injection, settings in code, and anything else its <see cref="CrawlerBuilder"/> takes.
/// </summary>
public sealed class TrawlCrawlBuilder
{
    private readonly CrawlRegistration _registration;

    internal TrawlCrawlBuilder(IServiceCollection services, CrawlRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>The service collection the crawl is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The crawl's configuration section (<c>Trawl</c> unless given): the name of its <see cref="CrawlOptions"/> and
    /// <see cref="CrawlHostingOptions"/> as named options.
    /// </summary>
    public string Name => _registration.Name;

    /// <summary>
    /// Adds an item pipeline of type <typeparamref name="TPipeline"/>, from the service provider if registered there,
    /// otherwise created with its constructor's arguments from it. Pipelines run in the order added.
    /// </summary>
    public TrawlCrawlBuilder AddPipeline<TPipeline>()
        where TPipeline : ItemPipeline =>
        ConfigureCrawler((services, crawler) => crawler.AddPipeline(ActivatorUtilities.GetServiceOrCreateInstance<TPipeline>(services)));

    /// <summary>Adds the item pipeline <paramref name="factory"/> makes when the crawl starts. Pipelines run in the order added.</summary>
    public TrawlCrawlBuilder AddPipeline(Func<IServiceProvider, ItemPipeline> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return ConfigureCrawler((services, crawler) => crawler.AddPipeline(factory(services)));
    }

    /// <summary>
    /// Adds downloader middleware of type <typeparamref name="TMiddleware"/>, from the service provider if registered
    /// there, otherwise created with its constructor's arguments from it. Middleware runs in the order added on requests.
    /// </summary>
    public TrawlCrawlBuilder AddMiddleware<TMiddleware>()
        where TMiddleware : DownloaderMiddleware =>
        ConfigureCrawler((services, crawler) => crawler.AddMiddleware(ActivatorUtilities.GetServiceOrCreateInstance<TMiddleware>(services)));

    /// <summary>Adds the downloader middleware <paramref name="factory"/> makes when the crawl starts.</summary>
    public TrawlCrawlBuilder AddMiddleware(Func<IServiceProvider, DownloaderMiddleware> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return ConfigureCrawler((services, crawler) => crawler.AddMiddleware(factory(services)));
    }

    /// <summary>
    /// Sets crawl settings in code. <paramref name="configure"/> runs after the configuration is bound, so what it sets
    /// wins over the configuration; the spider's <c>ConfigureOptions</c> runs after both, when the crawl is built.
    /// </summary>
    public TrawlCrawlBuilder Configure(Action<CrawlOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(Name, configure);
        return this;
    }

    /// <summary>Sets how the crawl behaves as a hosted service, after what the configuration says.</summary>
    public TrawlCrawlBuilder ConfigureHosting(Action<CrawlHostingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(Name, configure);
        return this;
    }

    /// <summary>
    /// Gives the crawl anything else its <see cref="CrawlerBuilder"/> takes when it starts (a frontier or domain gate
    /// shared beyond this process, a progress sink...), from the service provider. Runs in the order added, after the
    /// host has set the logger factory, the time provider and the stop-at-once token.
    /// </summary>
    public TrawlCrawlBuilder ConfigureCrawler(Action<IServiceProvider, CrawlerBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _registration.CrawlerSetup.Add(configure);
        return this;
    }
}
