using System.Runtime.CompilerServices;
using System.Text.Json;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Spiders.Declarative;
using Trawl.Tests.Support;

namespace Trawl.Tests.Browser;

/// <summary>
/// Page actions on the sandbox's <c>/app/feed/</c>, a page that grows only when used: scrolling to the bottom loads more
/// entries by script, and a button adds extras. Plain rendering sees the first batch only.
/// </summary>
public sealed class PageActionTests(SharedBrowser browser) : IClassFixture<SharedBrowser>
{
    private const int FirstBatch = 5;
    private const int AllEntries = 20;

    private static readonly PageAction[] UseTheFeed =
        [PageAction.Scroll(3, TimeSpan.FromSeconds(20)), PageAction.Click("#more", times: 2), PageAction.WaitFor("li.extra")];

    [Fact]
    public async Task WithoutActions_OnlyTheFirstBatchIsThere()
    {
        var item = await CrawlFeedAsync(static _ => { }, meta: null);

        item.GetProperty("entries").GetInt32().ShouldBe(FirstBatch);
        item.GetProperty("extras").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task CrawlDefaultActions_ScrollAndClick_MakeTheItemsAppear()
    {
        var item = await CrawlFeedAsync(static options => options.Render.Actions = UseTheFeed, meta: null);

        item.GetProperty("entries").GetInt32().ShouldBe(AllEntries, "three scrolls load three more batches of five");
        item.GetProperty("extras").GetInt32().ShouldBe(4, "two clicks add two extras each");
    }

    [Fact]
    public async Task RequestActions_ReplaceTheCrawlDefault()
    {
        // The crawl's default clicks only; the request's own list (as JSON text, as a spider file or a queue holds it) scrolls once.
        var item = await CrawlFeedAsync(
            static options => options.Render.Actions = [PageAction.Click("#more")],
            meta: """[{"scroll": 1, "pause": 20}]""");

        item.GetProperty("entries").GetInt32().ShouldBe(FirstBatch * 2);
        item.GetProperty("extras").GetInt32().ShouldBe(0);
    }

    [Fact]
    public async Task ActionWhoseSelectorNeverMatches_FailsThePageAsRenderTimeout()
    {
        await using var server = await SandboxServer.StartAsync(BrowserSupport.MixedSite());
        var options = BrowserSupport.Options();
        options.Render.Mode = RenderMode.Always;
        options.Render.Timeout = TimeSpan.FromSeconds(3);
        options.Render.Actions = [PageAction.Click("#no-such-button")];
        options.Retry.MaxRetries = 0;
        var spider = new FeedSpider(new Uri(server.BaseUrl, "/app/feed/"), meta: null, screenshot: null);

        var result = await new CrawlerBuilder(spider, options).UseRenderer(browser.Renderer).Build().RunAsync();

        result.Items.ShouldBeEmpty();
        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind.ShouldContainKey("render_timeout");
    }

    [Fact]
    public async Task Screenshot_IsAPngNamedAfterTheRequest_WhosePathIsInTheItem_AndARenderAgainOverwritesIt()
    {
        using var temp = new TempDirectory();
        var directory = Path.Combine(temp.Path, "shots");
        await using var server = await SandboxServer.StartAsync(BrowserSupport.MixedSite());
        var first = await CrawlFeedAsync(options => options.Render.ScreenshotDirectory = directory, meta: null, server: server);
        var again = await CrawlFeedAsync(options => options.Render.ScreenshotDirectory = directory, meta: null, server: server);

        var path = first.GetProperty("screenshot").GetString().ShouldNotBeNull();
        Path.GetDirectoryName(path).ShouldBe(directory);
        Path.GetFileName(path).ShouldBe(new Request(FeedUrl(first)).Fingerprint + ".png");
        var bytes = await File.ReadAllBytesAsync(path);
        bytes.Length.ShouldBeGreaterThan(1000);
        bytes[..8].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        again.GetProperty("screenshot").GetString().ShouldBe(path, "the same page is the same file");
        Directory.GetFiles(directory).ShouldBe([path]);
    }

    [Fact]
    public async Task Screenshot_CanBeTurnedOffPerRequest_AndIsNoneWithoutADirectory()
    {
        using var temp = new TempDirectory();
        var off = await CrawlFeedAsync(options => options.Render.ScreenshotDirectory = temp.Path, meta: null, screenshot: false);
        var none = await CrawlFeedAsync(static _ => { }, meta: null);

        off.GetProperty("screenshot").ValueKind.ShouldBe(JsonValueKind.Null);
        none.GetProperty("screenshot").ValueKind.ShouldBe(JsonValueKind.Null);
        Directory.GetFiles(temp.Path).ShouldBeEmpty();
    }

    [Fact]
    public void ParseList_ReadsEveryForm_AndRoundTripsThroughJson()
    {
        var actions = PageAction.ParseList("""
            [{"scroll": 3}, {"scroll": 1, "pause": 0.5}, {"click": "#more"}, {"click": "#more", "count": 2},
             {"click": ".tab", "all": true}, {"wait_for": ".item"}, {"wait": 0.25}]
            """);

        actions.ShouldBe([
            PageAction.Scroll(3), PageAction.Scroll(1, TimeSpan.FromSeconds(0.5)), PageAction.Click("#more"), PageAction.Click("#more", 2),
            PageAction.ClickAll(".tab"), PageAction.WaitFor(".item"), PageAction.Wait(TimeSpan.FromSeconds(0.25)),
        ]);
        PageAction.ParseList(PageAction.ToJson(actions)).ShouldBe(actions);
        PageAction.ParseList(JsonSerializer.Serialize(actions.ToList())).ShouldBe(actions, "a list put in meta as it is is saved in the same form");
    }

    [Theory]
    [InlineData("""{"click": "#a"}""", "array")]
    [InlineData("""[{"clik": "#a"}]""", "unknown key 'clik'")]
    [InlineData("""[{"click": ""}]""", "CSS selector")]
    [InlineData("""[{"scroll": 0}]""", "count must be")]
    [InlineData("""[{"scroll": 2, "count": 2}]""", "scroll takes pause only")]
    [InlineData("""[{"wait": -1}]""", "number of seconds")]
    [InlineData("""[{"click": "#a", "wait": 1}]""", "one action per object")]
    [InlineData("""[{"wait_for": ".a"}, 3]""", "Page action 2")]
    [InlineData("[", "not valid JSON")]
    public void ABadAction_IsRefusedWhenTheRequestIsMade(string json, string expected)
    {
        var request = new Request("https://example.com/") { Meta = { [RequestMeta.RenderActions] = json } };

        var error = Should.Throw<ArgumentException>(() => RequestMeta.Validate(request));

        error.Message.ShouldContain(RequestMeta.RenderActions);
        error.Message.ShouldContain(expected);
    }

    [Fact]
    public void SpiderFileActions_AreTheCrawlDefault_AndABadOneIsADefinitionError()
    {
        var good = new DeclarativeSpider(new DeclarativeSpiderDefinition
        {
            Start = { "https://example.com/" },
            Actions = JsonDocument.Parse("""[{"scroll": 2}, {"click": "#more"}]""").RootElement,
        });
        var options = new Crawling.CrawlOptions();
        good.ConfigureOptions(options);
        options.Render.Actions.ShouldBe([PageAction.Scroll(2), PageAction.Click("#more")]);

        var error = Should.Throw<SpiderDefinitionException>(() => new DeclarativeSpider(new DeclarativeSpiderDefinition
        {
            Start = { "https://example.com/" },
            Actions = JsonDocument.Parse("""[{"scroll": "down"}]""").RootElement,
        }));
        error.Message.ShouldContain("\"actions\"");
        error.Message.ShouldContain("'scroll' must be a whole number");
    }

    private static string FeedUrl(JsonElement item) => item.GetProperty("url").GetString()!;

    private async Task<JsonElement> CrawlFeedAsync(Action<Crawling.CrawlOptions> configure, string? meta, bool? screenshot = null, SandboxServer? server = null)
    {
        await using var own = server is null ? await SandboxServer.StartAsync(BrowserSupport.MixedSite()) : null;
        server ??= own!;
        var options = BrowserSupport.Options();
        options.Render.Mode = RenderMode.Always;
        options.Render.Timeout = TimeSpan.FromSeconds(60);
        configure(options);

        var result = await new CrawlerBuilder(new FeedSpider(new Uri(server.BaseUrl, "/app/feed/"), meta, screenshot), options).UseRenderer(browser.Renderer).Build().RunAsync();

        result.Stats.Failed.ShouldBe(0, string.Join(", ", result.Stats.ErrorsByKind));
        return JsonSerializer.SerializeToElement(result.Items.ShouldHaveSingleItem());
    }

    /// <summary>One page, one item: how many entries and extras the page has, and its screenshot.</summary>
    internal sealed class FeedSpider(Uri url, string? meta, bool? screenshot) : Spider
    {
        public override IEnumerable<Request> StartRequests()
        {
            var request = new Request(url);
            if (meta is not null)
            {
                request.Meta[RequestMeta.RenderActions] = meta;
            }

            if (screenshot is { } take)
            {
                request.Meta[RequestMeta.RenderScreenshot] = take;
            }

            yield return request;
        }

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Request.Url.AbsoluteUri, entries = response.Css("li.entry").Count, extras = response.Css("li.extra").Count, screenshot = response.ScreenshotPath };
            await Task.CompletedTask;
        }
    }
}
