using System.Runtime.CompilerServices;
using System.Text;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Sandbox.Traps;
using Trawl.Spiders;
using Trawl.Spiders.Declarative;
using Trawl.Tests.Support;

namespace Trawl.Tests.Hostile;

/// <summary>Pages whose content is hostile: huge link lists, unusable links, wrong charsets, bodies that are not HTML.</summary>
public sealed class HostileContentTests
{
    public static TheoryData<string> SpiderKinds() => ["declarative", "csharp"];

    private static Spider NewSpider(string kind, Uri start, params Uri[] more) => kind switch
    {
        "declarative" => new DeclarativeSpider(new DeclarativeSpiderDefinition
        {
            Name = "hostile",
            Start = [start.AbsoluteUri, .. more.Select(url => url.AbsoluteUri)],
            Fields = { ["title"] = "h1::text" },
        }),
        "csharp-any-host" => new FollowEverythingSpider(start),
        _ => new TrapSiteSpider(start, [.. more.Select(url => url.AbsoluteUri)]),
    };

    /// <summary>
    /// 100,000 links on one page are parsed and followed; duplicates collapse (in the page for the declarative spider,
    /// in the frontier for a C# spider that follows every one) so each target is fetched once. 100,000 is the default
    /// limit on requests taken from one page (<see cref="Crawling.CrawlOptions.MaxLinksPerPage"/>), so none is dropped.
    /// </summary>
    [Theory]
    [MemberData(nameof(SpiderKinds))]
    public async Task PageWith100000Links_IsParsed_AndEachTargetIsFetchedOnce(string kind)
    {
        var site = HostileCrawl.SiteOptions(pages: 50);
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var links = new Uri(server.BaseUrl, "/trap/links?n=100000");

        var run = await HostileCrawl.RunAsync(NewSpider(kind, links), HostileCrawl.Options(temp));

        run.Outcome(links).Status.ShouldBe("done");
        run.ItemUrls.ShouldContain(links.AbsoluteUri);
        run.ShouldHaveCrawledTheWholeSite(server, site);
        run.Result.Stats.Failed.ShouldBe(0);
        run.Result.Stats.ErrorsByKind.ShouldBeEmpty();
    }

    /// <summary>
    /// A page with more distinct links than <see cref="Crawling.CrawlOptions.MaxLinksPerPage"/>: the first ones are
    /// followed, each fetched once, the rest are counted as <c>links_truncated</c>, and the crawl finishes. The page's
    /// links go to the job in batches while its callback runs (2,500 links: two batches, then the rest with the page).
    /// </summary>
    [Theory]
    [MemberData(nameof(SpiderKinds))]
    public async Task APageWithMoreLinksThanTheLimit_FollowsTheFirst_AndCountsTheRestAsTruncated(string kind)
    {
        var site = HostileCrawl.SiteOptions(pages: 3000);
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var links = new Uri(server.BaseUrl, "/trap/links?n=3000");
        var options = HostileCrawl.Options(temp);
        options.MaxLinksPerPage = 2500;
        options.MaxDepth = 1;
        options.Concurrency = 32;
        options.ConcurrencyPerDomain = 32;

        var run = await HostileCrawl.RunAsync(NewSpider(kind, links), options);

        run.Result.Stats.FilteredByKind["links_truncated"].ShouldBe(500);
        var fetched = server.FetchCounts().Where(pair => pair.Key.StartsWith("/pages/", StringComparison.Ordinal)).ToList();
        fetched.Select(pair => pair.Key).ShouldBe(Enumerable.Range(0, 2500).Select(k => $"/pages/{k}"), ignoreOrder: true);
        fetched.ShouldAllBe(pair => pair.Value == 1);
        run.Outcomes.Count.ShouldBe(2501);
        run.Outcomes.Values.ShouldAllBe(outcome => outcome.Status == "done");
        run.Result.Stats.Failed.ShouldBe(0);
    }

    /// <summary>
    /// The C# spider that follows every link, whatever its host, is the one a link to a host IDNA rejects
    /// (<c>xn--퓏.example</c>) used to stop: its request could not be fingerprinted, so its page's commit failed and paused
    /// the crawl, again on every resume.
    /// </summary>
    [Theory]
    [InlineData("declarative")]
    [InlineData("csharp")]
    [InlineData("csharp-any-host")]
    public async Task InvalidRelativeScriptMailDataAndOverlongHrefs_OnlyValidHttpLinksAreFollowed(string kind)
    {
        await using var server = await SandboxServer.StartAsync(HostileCrawl.SiteOptions());
        using var temp = new TempDirectory();
        var page = new Uri(server.BaseUrl, "/trap/bad-links");
        var options = HostileCrawl.Options(temp);
        options.MaxDepth = 1;

        var run = await HostileCrawl.RunAsync(NewSpider(kind, page), options);

        var expected = TrapEndpoints.BadLinks.Where(link => link.Path is not null).Select(link => link.Path!).ToList();
        var requested = server.FetchCounts().Where(pair => pair.Key != "/trap/bad-links").ToList();
        requested.Select(pair => new Uri(server.BaseUrl, pair.Key).AbsolutePath).ShouldBe(expected, ignoreOrder: true);
        requested.ShouldAllBe(pair => pair.Value == 1);
        run.Outcomes.Values.ShouldAllBe(outcome => outcome.Status == "done");
        run.Outcomes.Count.ShouldBe(expected.Count + 1);
        run.Outcomes.Keys.ShouldAllBe(url => url.StartsWith(server.BaseUrl.AbsoluteUri, StringComparison.Ordinal) && url.Length < Response.MaxUrlLength);
        run.Result.Stats.ErrorsByKind.ShouldBeEmpty();
        run.Items.Count.ShouldBe(expected.Count + 1);
    }

    [Fact]
    public async Task CharsetsDeclaredInTheHeaderOrMeta_AreDecodedExactly()
    {
        await using var server = await SandboxServer.StartAsync(HostileCrawl.SiteOptions());
        using var temp = new TempDirectory();
        var pages = SandboxSite.CharsetNames
            .SelectMany(name => new[] { "header", "meta", "both" }.Select(declare => (Name: name, Url: new Uri(server.BaseUrl, $"/trap/charset/{name}?declare={declare}"))))
            .ToList();
        var options = HostileCrawl.Options(temp);
        options.MaxDepth = 0;

        var run = await HostileCrawl.RunAsync(SampleSpider(pages.Select(page => page.Url)), options);

        run.Outcomes.Values.ShouldAllBe(outcome => outcome.Status == "done");
        var samples = run.Items.ToDictionary(item => item["url"]!.GetValue<string>(), item => item["sample"]?.GetValue<string>());
        foreach (var (name, url) in pages)
        {
            samples[url.AbsoluteUri].ShouldBe(SandboxSite.CharsetSample(name), url.PathAndQuery);
        }
    }

    /// <summary>Mislabelled and undeclared charsets decode as well as the label allows: no exception, no lost page.</summary>
    [Fact]
    public async Task MislabelledAndUndeclaredCharsets_DecodeAsTheLabelSays_AndNeverThrow()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        await using var server = await SandboxServer.StartAsync(HostileCrawl.SiteOptions());
        using var temp = new TempDirectory();
        Uri Page(string pathAndQuery) => new(server.BaseUrl, pathAndQuery);
        var koi8AsLatin = Page("/trap/charset/koi8-r?declare=header&label=windows-1252");
        var sjisAsUtf8 = Page("/trap/charset/shift_jis?declare=header&label=utf-8");
        var unknownLabel = Page("/trap/charset/euc-kr?declare=header&label=x-klingon");
        var metaUtf16 = Page("/trap/charset/gb2312?declare=meta&label=utf-16");
        var headerUtf16 = Page("/trap/charset/big5?declare=header&label=utf-16");
        var undeclared = Page("/trap/charset/windows-1252?declare=none");
        var undeclaredUtf8 = Page("/trap/charset/utf-8?declare=none");
        var headerBeatsMeta = Page("/trap/charset/iso-8859-1?declare=both&label=koi8-r");
        Uri[] all = [koi8AsLatin, sjisAsUtf8, unknownLabel, metaUtf16, headerUtf16, undeclared, undeclaredUtf8, headerBeatsMeta];
        var options = HostileCrawl.Options(temp);
        options.MaxDepth = 0;

        var run = await HostileCrawl.RunAsync(SampleSpider(all), options);

        run.Outcomes.Count.ShouldBe(all.Length);
        run.Outcomes.Values.ShouldAllBe(outcome => outcome.Status == "done");
        run.Result.Stats.ErrorsByKind.ShouldBeEmpty();
        var samples = run.Items.ToDictionary(item => item["url"]!.GetValue<string>(), item => item["sample"]?.GetValue<string>());
        samples.Count.ShouldBe(all.Length);
        samples[koi8AsLatin.AbsoluteUri].ShouldBe(Encoding.GetEncoding(1252).GetString(Encoding.GetEncoding("koi8-r").GetBytes(SandboxSite.CharsetSample("koi8-r"))));
        samples[sjisAsUtf8.AbsoluteUri].ShouldNotBeNull().ShouldContain('\uFFFD');
        samples[unknownLabel.AbsoluteUri].ShouldNotBeNull().ShouldContain('\uFFFD');
        samples[metaUtf16.AbsoluteUri].ShouldNotBeNull().ShouldContain('\uFFFD');
        samples[undeclared.AbsoluteUri].ShouldNotBeNull().ShouldContain('\uFFFD');
        samples[undeclaredUtf8.AbsoluteUri].ShouldBe(SandboxSite.CharsetSample("utf-8"));
        samples[headerBeatsMeta.AbsoluteUri].ShouldBe(Encoding.GetEncoding("koi8-r").GetString(Encoding.GetEncoding(1252).GetBytes(SandboxSite.CharsetSample("iso-8859-1"))));
        samples.ShouldContainKey(headerUtf16.AbsoluteUri);
    }

    /// <summary>
    /// JSON, images, PDFs and other non-HTML bodies are fetched and recorded (an item with null fields) but never parsed
    /// as HTML, so the markup and links inside them are never followed. HTML without a Content-Type is sniffed and parsed.
    /// </summary>
    [Fact]
    public async Task NonHtmlContent_IsRecordedWithNullFields_AndNeverParsedAsHtml()
    {
        await using var server = await SandboxServer.StartAsync(HostileCrawl.SiteOptions());
        using var temp = new TempDirectory();
        var urls = TrapEndpoints.ContentKinds.Select(kind => new Uri(server.BaseUrl, $"/trap/content/{kind}")).ToList();
        var options = HostileCrawl.Options(temp);
        options.MaxDepth = 1;

        var run = await HostileCrawl.RunAsync(NewSpider("declarative", urls[0], [.. urls.Skip(1)]), options);

        run.Outcomes.Values.ShouldAllBe(outcome => outcome.Status == "done");
        run.Result.Stats.ErrorsByKind.ShouldBeEmpty();
        var titles = run.Items.ToDictionary(item => new Uri(item["url"]!.GetValue<string>()).PathAndQuery, item => item["title"]?.GetValue<string>());
        foreach (var kind in TrapEndpoints.ContentKinds.Where(kind => kind != "untyped-html"))
        {
            titles.ShouldContainKey($"/trap/content/{kind}");
            titles[$"/trap/content/{kind}"].ShouldBeNull(kind);
        }

        titles["/trap/content/untyped-html"].ShouldBe("Untyped HTML");
        titles["/pages/4"].ShouldNotBeNull();
        titles.Count.ShouldBe(TrapEndpoints.ContentKinds.Count + 1);
        server.FetchCounts().Keys.Where(path => path.StartsWith("/pages/", StringComparison.Ordinal)).ShouldBe(["/pages/4"]);
    }

    [Fact]
    public async Task NonHtmlContent_CssInACSharpSpider_FailsThatRequestAsACallbackError_NamingNotSupported()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var json = new Uri(server.BaseUrl, "/trap/content/json");
        var png = new Uri(server.BaseUrl, "/trap/content/png");

        var run = await HostileCrawl.RunAsync(new CssEverywhereSpider(server.BaseUrl, json, png), HostileCrawl.Options(temp));

        foreach (var (url, type) in new[] { (json, "application/json"), (png, "image/png") })
        {
            var outcome = run.Outcome(url);
            outcome.Status.ShouldBe("failed");
            outcome.ErrorKind.ShouldBe("callback");
            outcome.Attempts.ShouldBe(1);
            outcome.LastError.ShouldNotBeNull().ShouldStartWith("NotSupportedException");
            outcome.LastError.ShouldContain(type);
        }

        run.Result.Stats.ErrorsByKind.ShouldBe(new Dictionary<string, long> { ["callback"] = 2 });
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    private static DeclarativeSpider SampleSpider(IEnumerable<Uri> pages) => new(new DeclarativeSpiderDefinition
    {
        Name = "charsets",
        Start = [.. pages.Select(url => url.AbsoluteUri)],
        Fields = { ["sample"] = "p#sample::text" },
    });

    /// <summary>Follows every link of every page, on any host.</summary>
    private sealed class FollowEverythingSpider(Uri start) : Spider
    {
        public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Url.AbsoluteUri };
            foreach (var link in response.FollowAll(response.Css("a::attr(href)").GetAll()))
            {
                yield return link;
            }

            await Task.CompletedTask;
        }
    }

    /// <summary>Selects with CSS on every response, HTML or not, as a careless spider would.</summary>
    private sealed class CssEverywhereSpider(Uri site, params Uri[] more) : Spider
    {
        public override IEnumerable<string> StartUrls => [site.AbsoluteUri, .. more.Select(url => url.AbsoluteUri)];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Url.AbsoluteUri, title = response.Css("h1::text").Get() };
            foreach (var link in response.FollowAll(response.Css("a[href]")))
            {
                if (link.Url.Port == site.Port)
                {
                    yield return link;
                }
            }

            await Task.CompletedTask;
        }
    }
}
