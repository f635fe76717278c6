using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Trawl.Crawling;
using Trawl.Cli;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

/// <summary>
/// URLs on IPv6 literals (<c>http://[::1]:PORT/</c>) with robots.txt obeyed: their origin keeps its brackets, so the
/// robots.txt fetch works, and nothing parked on it is left waiting (issue 16, bug 1).
/// </summary>
public sealed class Ipv6CrawlTests
{
    // A crawl that hangs is stopped at once by this, and then fails its assertions instead of hanging the suite.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private static Task<SandboxServer> StartIpv6SiteAsync(int pages) =>
        TestSites.StartAsync(pages, configure: site => site.Host = "::1");

    private static CrawlOptions Obeying(CancellationTokenSource hang)
    {
        var options = new CrawlOptions { HandleSignals = false };
        options.RobotsTxt.Obey = true;
        return options;
    }

    [Fact]
    public async Task AnIpv6LiteralStartUrl_IsCrawled_AfterItsRobotsTxt()
    {
        await using var server = await StartIpv6SiteAsync(pages: 20);
        server.BaseUrl.Host.ShouldBe("[::1]");
        using var hang = new CancellationTokenSource(HangLimit);

        var result = await new SiteSpider(server.BaseUrl).RunAsync(Obeying(hang));

        result.Paused.ShouldBeFalse(result.PauseReason);
        server.FetchCount("/robots.txt").ShouldBe(1);
        result.Stats.Pages.ShouldBe(SandboxSite.ReachablePaths(new SandboxOptions { Pages = 20, QuotePages = 0 }).Count);
        result.Stats.Failed.ShouldBe(0);
    }

    [Fact]
    public async Task LinksToIpv6Literals_AreFetchedOrFailed_AndTheJobFinishes()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        await using var ipv6 = await StartIpv6SiteAsync(pages: 5);
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        // One link to an IPv6 site that answers, one to an IPv6 port where nothing listens (it refuses the connection for
        // robots.txt, so its request fails as refused, as its own download would).
        var answering = new Uri(ipv6.BaseUrl, "/pages/1").AbsoluteUri;
        var silent = $"http://[::1]:{ClosedIpv6Port()}/nothing";
        var options = Obeying(hang);
        options.RobotsTxt.UnavailableRetryDelay = TimeSpan.FromMilliseconds(50);
        options.Retry.MaxRetries = 1;
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);
        options.JobDir = temp.File("job");
        options.KeepJob = true;

        var result = await new CrawlerBuilder(new LinkingSpider(new Uri(site.BaseUrl, "/pages/0").AbsoluteUri, answering, silent), options).UseAbortToken(hang.Token).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        ipv6.FetchCount("/robots.txt").ShouldBe(1);
        ipv6.FetchCount("/pages/1").ShouldBe(1);
        result.Stats.Pages.ShouldBe(2);
        result.Stats.Failed.ShouldBe(1);
        var status = (await JobStore.ReadStatusAsync(options.JobDir))!;
        status.Metadata.IsFinished.ShouldBeTrue();
        status.Counts.InProgress.ShouldBe(0);
        status.Counts.Pending.ShouldBe(0);
        status.TopErrors.ShouldHaveSingleItem().Kind.ShouldBe("refused");
    }

    [Fact]
    public async Task Cli_AnIpv6LiteralStartUrl_FinishesWithRobotsTxtObeyed()
    {
        await using var server = await StartIpv6SiteAsync(pages: 10);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");

        var crawl = CliRunner.RunAsync("crawl", "--start", server.BaseUrl.AbsoluteUri, "--no-job", "-o", output, "--no-progress", "--log-level", "warning");
        var finished = await Task.WhenAny(crawl, Task.Delay(HangLimit)) == crawl;

        finished.ShouldBeTrue("the crawl of an IPv6-literal start URL did not finish");
        var run = await crawl;
        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        server.FetchCount("/robots.txt").ShouldBe(1);
        File.ReadAllLines(output).Length.ShouldBe(SandboxSite.ReachablePaths(new SandboxOptions { Pages = 10, QuotePages = 0 }).Count);
    }

    private static int ClosedIpv6Port()
    {
        using var listener = new TcpListener(IPAddress.IPv6Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Yields one item per page; its start page links to the given URLs, which link nowhere.</summary>
    private sealed class LinkingSpider(string start, params string[] links) : Spider
    {
        public override IEnumerable<string> StartUrls => [start];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Url.AbsoluteUri };
            if (response.Url.AbsoluteUri == start)
            {
                foreach (var link in links)
                {
                    yield return new Request(link);
                }
            }

            await Task.CompletedTask;
        }
    }
}
