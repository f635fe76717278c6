using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Trawl.Crawling;
using Trawl.Spiders;

namespace Trawl.Hosting;

/// <summary>Registers crawls with a .NET Generic Host: <c>services.AddTrawl&lt;MySpider&gt;()</c>.</summary>
/// <example>
/// <code>
/// var builder = Host.CreateApplicationBuilder(args);
/// builder.Services.AddTrawl&lt;QuotesSpider&gt;()          // settings from the "Trawl" section
///     .AddPipeline&lt;DropEmptyQuotes&gt;();
/// await builder.Build().RunAsync();
/// </code>
/// </example>
public static class TrawlServiceCollectionExtensions
{
    /// <summary>The configuration section a crawl's settings come from unless another is given.</summary>
    public const string DefaultSection = "Trawl";

    /// <summary>
    /// Registers a crawl of <typeparamref name="TSpider"/> with its settings in the configuration section
    /// <see cref="DefaultSection"/> (<c>Trawl</c>); see <see cref="AddTrawl{TSpider}(IServiceCollection, string)"/>.
    /// </summary>
    /// <typeparam name="TSpider">The spider: from the service provider if registered there, otherwise created with its constructor's arguments from it, once per run.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder that adds pipelines, middleware and settings in code to this crawl.</returns>
    /// <exception cref="InvalidOperationException">Another crawl was registered with the same section.</exception>
    public static TrawlCrawlBuilder AddTrawl<TSpider>(this IServiceCollection services)
        where TSpider : Spider =>
        services.AddTrawl<TSpider>(DefaultSection);

    /// <summary>
    /// Registers a crawl of <typeparamref name="TSpider"/> that runs as a hosted service (a
    /// <see cref="BackgroundService"/>) for as long as the host runs: its <see cref="CrawlOptions"/> are bound from the
    /// configuration section <paramref name="configSectionPath"/> (for example <c>Trawl:Concurrency</c> in
    /// appsettings.json, or the environment variable <c>Trawl__Concurrency</c>) and validated when the host starts; it
    /// logs to the host's <c>ILoggerFactory</c>; host shutdown pauses it, and a durable job (<c>Trawl:JobDir</c>)
    /// resumes on the next start.
    /// </summary>
    /// <typeparam name="TSpider">The spider: from the service provider if registered there, otherwise created with its constructor's arguments from it, once per run.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="configSectionPath">The configuration section of the crawl's settings; one per crawl.</param>
    /// <returns>A builder that adds pipelines, middleware and settings in code to this crawl.</returns>
    /// <exception cref="InvalidOperationException">Another crawl was registered with the same section.</exception>
    public static TrawlCrawlBuilder AddTrawl<TSpider>(this IServiceCollection services, string configSectionPath)
        where TSpider : Spider =>
        services.AddTrawl(ActivatorUtilities.GetServiceOrCreateInstance<TSpider>, configSectionPath);

    /// <summary>
    /// Registers a crawl of the spider <paramref name="spiderFactory"/> makes, once per run; otherwise as
    /// <see cref="AddTrawl{TSpider}(IServiceCollection, string)"/>.
    /// </summary>
    /// <typeparam name="TSpider">The spider's type.</typeparam>
    /// <param name="services">The service collection.</param>
    /// <param name="spiderFactory">Makes the spider when the crawl starts.</param>
    /// <param name="configSectionPath">The configuration section of the crawl's settings (<see cref="DefaultSection"/>, say); one per crawl.</param>
    /// <returns>A builder that adds pipelines, middleware and settings in code to this crawl.</returns>
    /// <exception cref="InvalidOperationException">Another crawl was registered with the same section.</exception>
    public static TrawlCrawlBuilder AddTrawl<TSpider>(this IServiceCollection services, Func<IServiceProvider, TSpider> spiderFactory, string configSectionPath)
        where TSpider : Spider
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(spiderFactory);
        ArgumentException.ThrowIfNullOrWhiteSpace(configSectionPath);
        foreach (var existing in services.Where(d => d.ServiceType == typeof(CrawlRegistration) && d.ImplementationInstance is CrawlRegistration))
        {
            var other = (CrawlRegistration)existing.ImplementationInstance!;
            if (string.Equals(other.Name, configSectionPath, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(
                    $"The configuration section '{configSectionPath}' already holds the settings of the crawl of {other.SpiderType.Name}: give the crawl of {typeof(TSpider).Name} a section of its own, as in AddTrawl<{typeof(TSpider).Name}>(\"Crawls:{typeof(TSpider).Name}\").");
            }
        }

        var registration = new CrawlRegistration(configSectionPath, typeof(TSpider), provider => spiderFactory(provider));
        services.AddSingleton(registration);
        services.AddOptions();
        services.TryAddSingleton<CrawlCompletions>();
        services.TryAddSingleton<ProcessExitCode>();
        var configuration = new CrawlConfiguration(registration.Name);
        services.AddSingleton<IConfigureOptions<CrawlOptions>>(provider => configuration.For(provider));
        services.AddSingleton<IPostConfigureOptions<CrawlOptions>>(configuration);
        services.AddSingleton<IValidateOptions<CrawlOptions>>(configuration);
        services.AddSingleton<IConfigureOptions<CrawlHostingOptions>>(provider => configuration.For(provider));
        services.AddSingleton<IValidateOptions<CrawlHostingOptions>>(configuration);
        services.AddOptions<CrawlOptions>(registration.Name).ValidateOnStart();
        services.AddOptions<CrawlHostingOptions>(registration.Name).ValidateOnStart();
        services.AddSingleton<IHostedService>(provider => ActivatorUtilities.CreateInstance<CrawlService>(provider, registration));
        return new TrawlCrawlBuilder(services, registration);
    }
}
