using System.Net;
using System.Text;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxPagesTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public async Task Home_LinksToFirstPageAndQuotes()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.ToString().ShouldBe("text/html; charset=utf-8");
        var hrefs = HtmlScan.Hrefs(await response.Content.ReadAsStringAsync());
        hrefs.ShouldContain("/pages/0");
        hrefs.ShouldContain("/quotes/");
    }

    [Fact]
    public async Task Page_HasTitleHeadingContentAndLinks()
    {
        var html = await sandbox.GetStringAsync("/pages/17");

        html.ShouldContain("<title>Page 17</title>");
        html.ShouldContain("<h1>Page 17</h1>");
        html.ShouldContain("<p class=\"content\">");
        HtmlScan.Hrefs(HtmlScan.LinkList(html)).Count.ShouldBe(sandbox.Options.LinksPerPage);
    }

    [Fact]
    public async Task Page_SameSeed_SameBytesOnEveryFetchAndEveryServer()
    {
        var first = await sandbox.GetBytesAsync("/pages/5");
        var again = await sandbox.GetBytesAsync("/pages/5");
        await using var other = await SandboxServer.StartAsync(SandboxFixture.TestOptions(), CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);
        var fromOther = await client.GetStringAsync(new Uri(other.BaseUrl, "/pages/5"));

        again.ShouldBe(first);
        fromOther.Replace(other.BaseUrl.AbsoluteUri, sandbox.Server.BaseUrl.AbsoluteUri, StringComparison.Ordinal)
            .ShouldBe(Encoding.UTF8.GetString(first));
    }

    [Fact]
    public async Task PeakConcurrentRequests_IsTheMostHandledAtOnce()
    {
        await using var server = await SandboxServer.StartAsync(SandboxFixture.TestOptions(), CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);
        server.PeakConcurrentRequests.ShouldBe(0);
        for (var i = 0; i < 5; i++)
        {
            await client.GetStringAsync(new Uri(server.BaseUrl, $"/pages/{i}"));
        }

        // Then three requests that stay in flight until the client gives up, so they overlap whenever each of them
        // gets there on a busy machine. The peak is read while they are in flight: a request the client gave up on is
        // still counted until the server notices.
        using var giveUp = new CancellationTokenSource();
        var slow = Enumerable.Range(0, 3).Select(i => client.GetStringAsync(new Uri(server.BaseUrl, $"/trap/slow?ms=600000&i={i}"), giveUp.Token)).ToArray();
        await Waiting.UntilAsync(() => server.PeakConcurrentRequests >= 3, Waiting.Generous, "three requests in flight");

        server.PeakConcurrentRequests.ShouldBe(3);
        server.TotalRequests.ShouldBe(8);
        await giveUp.CancelAsync();
        foreach (var request in slow)
        {
            await Should.ThrowAsync<OperationCanceledException>(request);
        }
    }

    [Fact]
    public async Task Page_OtherSeed_OtherLinks()
    {
        var options = SandboxFixture.TestOptions();
        options.Seed = 43;
        await using var other = await SandboxServer.StartAsync(options, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        var mine = HtmlScan.Hrefs(HtmlScan.LinkList(await sandbox.GetStringAsync("/pages/5")));
        var theirs = HtmlScan.Hrefs(HtmlScan.LinkList(await client.GetStringAsync(new Uri(other.BaseUrl, "/pages/5"))));

        theirs.ShouldNotBe(mine);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(99)]
    [InlineData(199)]
    public async Task Page_BodyIsAboutPageSize(int index)
    {
        var body = await sandbox.GetBytesAsync($"/pages/{index}");

        // The size budget leaves out the base URLs of absolute links, so the filler does not depend on the port.
        var baseUrl = sandbox.Server.BaseUrl.AbsoluteUri;
        var text = Encoding.UTF8.GetString(body);
        var baseUrlBytes = (text.Split(baseUrl).Length - 1) * baseUrl.Length;
        (body.Length - baseUrlBytes).ShouldBeInRange(sandbox.Options.PageSize - 16, sandbox.Options.PageSize);
    }

    [Fact]
    public async Task Page_TinyPageSize_StillServesWholePage()
    {
        var options = SandboxFixture.TestOptions();
        options.PageSize = 0;
        await using var server = await SandboxServer.StartAsync(options, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        var html = await client.GetStringAsync(new Uri(server.BaseUrl, "/pages/3"));

        html.ShouldContain("<p class=\"content\"></p>");
        html.ShouldEndWith("</html>\n");
    }

    [Fact]
    public async Task Page_LinksResolveToLinkTargets()
    {
        for (var index = 0; index < sandbox.Options.Pages; index += 37)
        {
            var page = sandbox.Url($"/pages/{index}");
            var html = await sandbox.Client.GetStringAsync(page);

            var targets = HtmlScan.Hrefs(HtmlScan.LinkList(html))
                .Select(href => HtmlScan.Resolve(page, href))
                .Select(url =>
                {
                    url.Authority.ShouldBe(sandbox.Server.BaseUrl.Authority);
                    url.AbsolutePath.ShouldStartWith("/pages/");
                    return int.Parse(url.AbsolutePath["/pages/".Length..]);
                });

            targets.ShouldBe(SandboxSite.LinkTargets(sandbox.Options, index), $"page {index}");
        }
    }

    [Fact]
    public void LinkTargets_FirstIsNextPage_LastPageWrapsToZero()
    {
        SandboxSite.LinkTargets(sandbox.Options, 0)[0].ShouldBe(1);
        SandboxSite.LinkTargets(sandbox.Options, 150)[0].ShouldBe(151);
        SandboxSite.LinkTargets(sandbox.Options, sandbox.Options.Pages - 1)[0].ShouldBe(0);
    }

    [Fact]
    public async Task Pages_MixLinkForms_SoCrawlersMustCanonicalize()
    {
        var hrefs = new List<string>();
        var pagesWithDuplicates = 0;
        for (var index = 0; index < sandbox.Options.Pages; index++)
        {
            var links = HtmlScan.Hrefs(HtmlScan.LinkList(await sandbox.GetStringAsync($"/pages/{index}")));
            hrefs.AddRange(links);
            if (links.Distinct().Count() < links.Count)
            {
                pagesWithDuplicates++;
            }
        }

        hrefs.ShouldContain(h => h.StartsWith("/pages/") && !h.Contains('#'), "root-relative");
        hrefs.ShouldContain(h => h.All(char.IsAsciiDigit), "relative");
        hrefs.ShouldContain(h => h.StartsWith("../pages/"), "parent-relative");
        hrefs.ShouldContain(h => h.StartsWith("./"), "dot-relative");
        hrefs.ShouldContain(h => h.StartsWith(sandbox.Server.BaseUrl.AbsoluteUri + "pages/"), "absolute");
        hrefs.ShouldContain(h => h.Contains('#'), "fragment");
        pagesWithDuplicates.ShouldBeGreaterThan(0);
        hrefs.Count(h => h.StartsWith("/pages/") && !h.Contains('#')).ShouldBeGreaterThan(hrefs.Count / 3);
    }

    [Theory]
    [InlineData("/pages/200")]
    [InlineData("/pages/-1")]
    [InlineData("/pages/007")]
    [InlineData("/pages/abc")]
    [InlineData("/pages/")]
    [InlineData("/pages/5/")]
    [InlineData("/nothing-here")]
    [InlineData("/quotes/page/6/")]
    [InlineData("/quotes/page/0/")]
    [InlineData("/quotes/author/nobody/")]
    [InlineData("/quotes/tag/no-such-tag/")]
    [InlineData("/trap/no-such-trap")]
    public async Task UnknownPath_Returns404(string path)
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url(path));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
    }

    [Fact]
    public async Task Post_Returns405()
    {
        using var response = await sandbox.Client.PostAsync(sandbox.Url("/pages/1"), new StringContent("x"));

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Head_ReturnsHeadersWithoutBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, sandbox.Url("/pages/2"));
        using var response = await sandbox.Client.SendAsync(request);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task Robots_ServesConfiguredText()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/robots.txt"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        (await response.Content.ReadAsStringAsync()).ShouldBe(sandbox.Options.RobotsTxt);
    }

    [Fact]
    public async Task Robots_NotConfigured_Returns404()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 3 }, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        using var response = await client.GetAsync(new Uri(server.BaseUrl, "/robots.txt"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Requests_AreCountedAndLogged()
    {
        const string Target = "/pages/3?probe=counting";
        var before = sandbox.Server.TotalRequests;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, sandbox.Url(Target));
            if (i < 2)
            {
                request.Headers.UserAgent.ParseAdd("TrawlTest/1.0");
            }

            using var response = await sandbox.Client.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        sandbox.Server.FetchCount(Target).ShouldBe(3);
        sandbox.Server.FetchCount("/pages/3?probe=never").ShouldBe(0);
        sandbox.Server.FetchCounts()[Target].ShouldBe(3);
        (sandbox.Server.TotalRequests - before).ShouldBe(3);
        var logged = sandbox.Server.RequestLog().Where(r => r.PathAndQuery == Target).ToList();
        logged.Select(r => r.UserAgent).ShouldBe(["TrawlTest/1.0", "TrawlTest/1.0", null]);
        logged.ShouldAllBe(r => r.TimestampTicks >= started);
        logged.Select(r => r.TimestampTicks).ShouldBeInOrder(SortDirection.Ascending);
    }

    [Fact]
    public async Task RequestLog_Disabled_StaysEmptyButCountsRequests()
    {
        var options = SandboxFixture.TestOptions();
        options.EnableRequestLog = false;
        await using var server = await SandboxServer.StartAsync(options, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        await client.GetStringAsync(new Uri(server.BaseUrl, "/pages/1"));

        server.RequestLog().ShouldBeEmpty();
        server.FetchCount("/pages/1").ShouldBe(1);
        server.TotalRequests.ShouldBe(1);
    }

    [Fact]
    public async Task ConcurrentRequests_AreAllCounted()
    {
        await using var server = await SandboxServer.StartAsync(SandboxFixture.TestOptions(), CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        await Parallel.ForEachAsync(Enumerable.Range(0, 400), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            using var response = await client.GetAsync(new Uri(server.BaseUrl, $"/pages/{i % 20}"), ct);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        });

        server.TotalRequests.ShouldBe(400);
        server.RequestLog().Count.ShouldBe(400);
        var counts = server.FetchCounts();
        counts.Count.ShouldBe(20);
        counts.Values.ShouldAllBe(c => c == 20);
    }

    [Fact]
    public async Task WaitForShutdownAsync_EndsWhenDisposedOrCancelled()
    {
        var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 2 }, CancellationToken.None);
        var waiting = server.WaitForShutdownAsync(CancellationToken.None);
        waiting.IsCompleted.ShouldBeFalse();

        await server.DisposeAsync();
        await waiting;
        await server.DisposeAsync();

        var other = await SandboxServer.StartAsync(new SandboxOptions { Pages = 2 }, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var stopping = other.WaitForShutdownAsync(cancel.Token);
        await cancel.CancelAsync();
        await stopping;
        using var client = SandboxFixture.NewClient(followRedirects: false);
        await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync(new Uri(other.BaseUrl, "/")));
        await other.DisposeAsync();
    }
}
