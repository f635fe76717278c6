using System.Runtime.CompilerServices;
using Trawl.Crawling;
using Trawl.Http;
using Trawl.Spiders;

namespace Trawl.Tests.Politeness;

/// <summary>Starts from the given requests (meta, headers and all) and yields one item per page, following nothing.</summary>
public sealed class RequestsSpider(params Request[] requests) : Spider
{
    public override string Name => "requests";

    public override IEnumerable<Request> StartRequests() => requests;

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new { url = response.Url.AbsoluteUri };
        await Task.CompletedTask;
    }
}

/// <summary>Follows every link on the page, whatever its host, and yields one item per page.</summary>
public sealed class EverywhereSpider(Uri start) : Spider
{
    public override string Name => "everywhere";

    public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new { url = response.Url.AbsoluteUri };
        foreach (var link in response.FollowAll(response.Css("a[href]")))
        {
            yield return link;
        }

        await Task.CompletedTask;
    }
}

/// <summary>A site spider that sets its own politeness in <see cref="Spider.ConfigureOptions"/>, over what it was given.</summary>
public sealed class SelfLimitingSpider(Uri start) : Spider
{
    public override string Name => "self-limiting";

    public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

    public override void ConfigureOptions(Trawl.Crawling.CrawlOptions options)
    {
        options.MaxPagesPerDomain = 3;
        options.RobotsTxt.Obey = true;
        options.Downloader.UserAgents.Add("SelfLimiting/1");
    }

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new { url = response.Url.AbsoluteUri };
        foreach (var link in response.FollowAll(response.Css("a[href]")))
        {
            yield return link;
        }

        await Task.CompletedTask;
    }
}
