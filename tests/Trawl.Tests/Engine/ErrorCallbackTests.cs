using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// Error callbacks (<see cref="Request.Errback"/> and <see cref="Spider.OnErrorAsync"/>) are called once when a request
/// finally fails, and what they yield is kept; statuses a spider or a request allows reach the callback instead.
/// </summary>
public sealed class ErrorCallbackTests
{
    // A crawl that hangs is stopped at once by this, and then fails its assertions instead of hanging the suite.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private static CrawlOptions Options()
    {
        var options = new CrawlOptions { HandleSignals = false };
        options.Retry.Backoff = TimeSpan.FromMilliseconds(10);
        return options;
    }

    [Fact]
    public async Task NamedErrback_IsCalledOnceAfterTheRetries_WithTheFailure_AndWhatItYieldsIsKept()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        using var hang = new CancellationTokenSource(HangLimit);
        var options = Options();
        options.Retry.MaxRetries = 2;
        var spider = new ErrbackSpider(server.BaseUrl, "/trap/status/503", "/trap/status/404");

        var result = await new CrawlerBuilder(spider, options).UseAbortToken(hang.Token).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        server.FetchCount("/trap/status/503").ShouldBe(3, "retried twice, then failed");
        server.FetchCount("/trap/status/404").ShouldBe(1);
        spider.Calls.ShouldBe(["OnGoneAsync /trap/status/404", "OnGoneAsync /trap/status/503"], ignoreOrder: true);
        var failures = result.Items.Where(item => item["failed"] is not null).ToList();
        failures.Select(item => (Path(item["failed"]!), item["kind"]!.GetValue<string>(), item["status"]!.GetValue<int>(), item["body"]!.GetValue<bool>()))
            .ShouldBe([("/trap/status/404", "http_404", 404, true), ("/trap/status/503", "http_503", 503, true)], ignoreOrder: true);

        // The requests an error callback yields are crawled like any other.
        server.FetchCount("/pages/1").ShouldBe(1);
        result.Items.Where(item => item["page"] is not null).Select(item => Path(item["page"]!)).ShouldContain("/pages/1");
        result.Stats.Failed.ShouldBe(2);
    }

    [Fact]
    public async Task DefaultErrback_IsOnErrorAsync_AndANetworkFailureHasNoResponse()
    {
        using var hang = new CancellationTokenSource(HangLimit);
        var options = Options();
        options.Retry.MaxRetries = 0;
        var refused = $"http://127.0.0.1:{ClosedPort()}/nothing";
        var spider = new DefaultErrbackSpider([refused]);

        var result = await new CrawlerBuilder(spider, options).UseAbortToken(hang.Token).Build().RunAsync();

        result.Stats.Failed.ShouldBe(1);
        var item = result.Items.ShouldHaveSingleItem();
        item["url"]!.GetValue<string>().ShouldBe(refused);
        item["kind"]!.GetValue<string>().ShouldBe("refused");
        item["response"]!.GetValue<bool>().ShouldBeFalse();
        item["status"].ShouldBeNull();
    }

    [Fact]
    public async Task ThrowingErrback_IsContained_TheRequestStaysFailed_AndNothingItYieldedIsKept()
    {
        await using var server = await TestSites.StartAsync(pages: 3);
        using var hang = new CancellationTokenSource(HangLimit);
        using var log = new CapturingLoggerProvider();
        var options = Options();
        var spider = new DefaultErrbackSpider([new Uri(server.BaseUrl, "/trap/status/404").AbsoluteUri, new Uri(server.BaseUrl, "/pages/0").AbsoluteUri]) { Throw = true };

        var result = await new CrawlerBuilder(spider, options).UseAbortToken(hang.Token).UseLoggerFactory(log.CreateFactory()).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.ErrorsByKind["errback_error"].ShouldBe(1);
        result.Items.ShouldAllBe(item => item["kind"] == null, "the item yielded before the throw is dropped");
        result.Items.Select(item => Path(item["page"]!)).ShouldContain("/pages/0");
        log.Text.ShouldContain("Error callback OnErrorAsync failed");
    }

    [Fact]
    public async Task AllowedStatuses_OfTheSpiderAndOfTheRequest_ReachTheCallback_OthersFail()
    {
        await using var server = await TestSites.StartAsync(pages: 3);
        using var hang = new CancellationTokenSource(HangLimit);
        var options = Options();
        var spider = new AllowingSpider(server.BaseUrl);

        var result = await new CrawlerBuilder(spider, options).UseAbortToken(hang.Token).Build().RunAsync();

        result.Items.Select(item => (Path(item["page"]!), item["status"]!.GetValue<int>()))
            .ShouldBe([("/trap/status/404", 404), ("/trap/status/410", 410)], ignoreOrder: true);
        result.Stats.Failed.ShouldBe(2, "a 410 without allow_status, and a 403 that nobody allows");
        spider.Errors.ShouldBe(["/trap/status/403", "/trap/status/410?plain"], ignoreOrder: true);
    }

    [Fact]
    public async Task ErrbackItems_AreCommittedWithTheFailure_InAJob()
    {
        await using var server = await TestSites.StartAsync(pages: 3);
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        var options = Options();
        options.JobDir = temp.File("job");
        options.KeepJob = true;
        var spider = new ErrbackSpider(server.BaseUrl, "/trap/status/404");

        var result = await new CrawlerBuilder(spider, options).UseAbortToken(hang.Token).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        await using var store = await JobStore.OpenAsync(options.JobDir, new JobStoreOptions(), hang.Token);
        var items = await store.Frontier.ReadItemsAsync(0, 100, hang.Token);
        items.Select(item => JsonNode.Parse(item.Json)!["failed"]?.GetValue<string>()).Where(url => url is not null).Select(url => new Uri(url!).AbsolutePath)
            .ShouldBe(["/trap/status/404"]);
        (await store.Frontier.GetCountsAsync(hang.Token)).Failed.ShouldBe(1);
    }

    [Fact]
    public void Errback_SurvivesTheRequestsJson()
    {
        var request = new Request("https://example.com/a") { Callback = "ParseItem", Errback = "OnGoneAsync" };

        var restored = RequestJson.Deserialize(RequestJson.Serialize(request));

        restored.Errback.ShouldBe("OnGoneAsync");
        restored.Callback.ShouldBe("ParseItem");
    }

    [Theory]
    [InlineData("[404, 99]")]
    [InlineData("\"404\"")]
    [InlineData("[\"404\"]")]
    public void AllowStatus_ThatIsNotAListOfStatuses_IsRefusedWhenScheduled(string json)
    {
        var request = new Request("https://example.com/a") { Meta = { [RequestMeta.AllowStatus] = System.Text.Json.JsonDocument.Parse(json).RootElement } };

        Should.Throw<ArgumentException>(() => RequestMeta.Validate(request)).Message.ShouldContain("allow_status");
    }

    private static string Path(JsonNode url) => new Uri(url.GetValue<string>()).PathAndQuery;

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class ErrbackSpider(Uri site, params string[] failing) : Spider
    {
        public List<string> Calls { get; } = [];

        public override IEnumerable<Request> StartRequests() =>
            failing.Select(path => new Request(new Uri(site, path)) { Errback = nameof(OnGoneAsync) });

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield return new { page = response.Url.AbsoluteUri };
        }

        // A method of the right shape is found by name; OnErrorAsync, the default, must not be called.
        public override async IAsyncEnumerable<object> OnErrorAsync(RequestFailure failure, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            throw new InvalidOperationException("not the default");
#pragma warning disable CS0162 // An iterator needs a yield.
            yield break;
#pragma warning restore CS0162
        }

        private async IAsyncEnumerable<object> OnGoneAsync(RequestFailure failure, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            lock (Calls)
            {
                Calls.Add("OnGoneAsync " + failure.Request.Url.AbsolutePath);
            }

            yield return new { failed = failure.Request.Url.AbsoluteUri, kind = failure.Kind, status = failure.Status, body = failure.Response?.Body.Length > 0 };
            yield return new Request(new Uri(site, "/pages/1"));
        }
    }

    private sealed class DefaultErrbackSpider(string[] urls) : Spider
    {
        public bool Throw { get; init; }

        public override IEnumerable<string> StartUrls => urls;

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield return new { page = response.Url.AbsoluteUri };
        }

        public override async IAsyncEnumerable<object> OnErrorAsync(RequestFailure failure, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield return new { url = failure.Request.Url.AbsoluteUri, kind = failure.Kind, status = failure.Status, response = failure.Response is not null };
            if (Throw)
            {
                throw new InvalidOperationException("the error callback broke");
            }
        }
    }

    private sealed class AllowingSpider(Uri site) : Spider
    {
        public List<string> Errors { get; } = [];

        public override IReadOnlyCollection<int> AllowedStatuses => [404];

        public override IEnumerable<Request> StartRequests() =>
        [
            new(new Uri(site, "/trap/status/404")),
            new(new Uri(site, "/trap/status/410")) { Meta = { [RequestMeta.AllowStatus] = new[] { 410 } } },
            new(new Uri(site, "/trap/status/410?plain")),
            new(new Uri(site, "/trap/status/403")),
        ];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield return new { page = response.Url.AbsoluteUri, status = response.Status };
        }

        public override async IAsyncEnumerable<object> OnErrorAsync(RequestFailure failure, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            lock (Errors)
            {
                Errors.Add(failure.Request.Url.PathAndQuery);
            }

            yield break;
        }
    }
}
