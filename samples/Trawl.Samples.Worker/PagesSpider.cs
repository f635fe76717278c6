using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Trawl.Http;
using Trawl.Spiders;

namespace Trawl.Samples.Worker;

/// <summary>The spider's own settings, bound from the <c>Pages</c> configuration section.</summary>
public sealed class PagesSpiderSettings
{
    /// <summary>Where the crawl starts; links on the same host are followed.</summary>
    public string StartUrl { get; set; } = string.Empty;
}

/// <summary>
/// One item per page of a site (its URL and its first heading), following every link on the start URL's host. Its
/// settings come from dependency injection, as any service's would.
/// </summary>
public sealed class PagesSpider(IOptions<PagesSpiderSettings> settings) : Spider
{
    private readonly Uri _start = new(settings.Value.StartUrl);

    public override string Name => "pages";

    public override IEnumerable<string> StartUrls => [_start.AbsoluteUri];

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new Page(response.Url.AbsoluteUri, response.Css("h1::text").Get());
        foreach (var link in response.FollowAll("a[href]"))
        {
            if (string.Equals(link.Url.Host, _start.Host, StringComparison.OrdinalIgnoreCase))
            {
                yield return link;
            }
        }
    }
}

/// <summary>A crawled page.</summary>
public sealed record Page(string Url, string? Title);
