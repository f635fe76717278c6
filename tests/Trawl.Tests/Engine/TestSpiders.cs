using System.Runtime.CompilerServices;
using Trawl.Http;
using Trawl.Spiders;

namespace Trawl.Tests.Engine;

/// <summary>Follows every link on a sandbox site and yields one item per page.</summary>
public sealed class SiteSpider(Uri start) : Spider
{
    public override string Name => "site";

    public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new { url = response.Url.AbsoluteUri, title = response.Css("h1::text").Get() };
        foreach (var href in response.Css("a::attr(href)").GetAll())
        {
            if (response.UrlJoin(href) is { } url && url.Host == start.Host && url.Port == start.Port)
            {
                yield return response.Follow(href);
            }
        }

        await Task.CompletedTask;
    }
}

/// <summary>Throws on some pages; the crawl must record the failure and go on.</summary>
public sealed class FlakySpider(Uri start, Func<Uri, bool> failOn) : Spider
{
    public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (failOn(response.Url))
        {
            throw new InvalidOperationException("boom on " + response.Url.AbsolutePath);
        }

        yield return new { url = response.Url.AbsoluteUri };
        foreach (var link in response.FollowAll(response.Css("a[href]")))
        {
            if (link.Url.Port == start.Port)
            {
                yield return link;
            }
        }

        await Task.CompletedTask;
    }
}

/// <summary>Requests a fixed list of URLs and yields one item each, following nothing.</summary>
public sealed class ListSpider(params string[] urls) : Spider
{
    public override IEnumerable<string> StartUrls => urls;

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new { url = response.Url.AbsoluteUri, status = response.Status };
        await Task.CompletedTask;
    }
}
