using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class RequestControlTests
{
    private static CrawlOptions Options() => new() { HandleSignals = false };

    [Fact]
    public async Task UserAgents_RotateRoundRobin_AndARequestsOwnHeaderWins()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        var options = Options();
        options.Concurrency = 1;
        options.Downloader.UserAgents.Add("AgentA/1");
        options.Downloader.UserAgents.Add("AgentB/1");
        options.Downloader.UserAgents.Add("AgentC/1");
        var requests = Enumerable.Range(0, 6).Select(i => new Request(new Uri(server.BaseUrl, $"/pages/{i}"))).ToList();
        requests.Add(new Request(new Uri(server.BaseUrl, "/pages/9")) { Headers = { ["User-Agent"] = "Own/2" } });

        await new RequestsSpider([.. requests]).RunAsync(options);

        var agents = server.RequestLog().ToDictionary(r => r.PathAndQuery, r => r.UserAgent);
        agents["/pages/9"].ShouldBe("Own/2");
        Enumerable.Range(0, 6).Select(i => agents[$"/pages/{i}"]).ShouldBe(["AgentA/1", "AgentB/1", "AgentC/1", "AgentA/1", "AgentB/1", "AgentC/1"]);
    }

    [Fact]
    public async Task UserAgents_CanRotateAtRandom()
    {
        await using var server = await TestSites.StartAsync(pages: 40);
        var options = Options();
        options.Downloader.UserAgents.Add("AgentA/1");
        options.Downloader.UserAgents.Add("AgentB/1");
        options.Downloader.UserAgentRotation = Trawl.Downloader.RotationOrder.Random;

        await new RequestsSpider([.. Enumerable.Range(0, 40).Select(i => new Request(new Uri(server.BaseUrl, $"/pages/{i}")))]).RunAsync(options);

        server.RequestLog().Select(r => r.UserAgent).Distinct().ShouldBe(["AgentA/1", "AgentB/1"], ignoreOrder: true);
    }

    [Fact]
    public async Task WithoutAList_EveryRequestGetsTheFixedUserAgent()
    {
        await using var server = await TestSites.StartAsync(pages: 5);

        await new RequestsSpider([.. Enumerable.Range(0, 5).Select(i => new Request(new Uri(server.BaseUrl, $"/pages/{i}")))]).RunAsync(Options());

        server.RequestLog().Select(r => r.UserAgent).Distinct().ShouldBe([new Trawl.Downloader.DownloaderOptions().UserAgent]);
    }

    [Fact]
    public async Task DownloadTimeoutMeta_OverridesTheTimeout_ForThatRequest()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var logs = new CapturingLoggerProvider();
        var options = Options();
        options.Retry.MaxRetries = 0;
        var slow = new Request(new Uri(server.BaseUrl, "/trap/slow?ms=20000")) { Meta = { [RequestMeta.DownloadTimeout] = 0.2 } };
        var fine = new Request(new Uri(server.BaseUrl, "/trap/slow?ms=300"));

        var result = await new CrawlerBuilder(new RequestsSpider(slow, fine), options).UseLoggerFactory(logs.CreateFactory()).Build().RunAsync();

        result.Stats.ErrorsByKind["timeout"].ShouldBe(1);
        result.Stats.Pages.ShouldBe(1);
        logs.Text.ShouldContain("within 200 ms");
    }

    [Fact]
    public async Task DontRetryMeta_MakesTheFirstFailureFinal()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var once = new Request(new Uri(server.BaseUrl, "/trap/status/503")) { Meta = { [RequestMeta.DontRetry] = true } };

        var result = await new RequestsSpider(once).RunAsync(Options());

        server.FetchCount("/trap/status/503").ShouldBe(1);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.Retries.ShouldBe(0);
    }

    [Theory]
    [InlineData(RequestMeta.DownloadDelay, "soon")]
    [InlineData(RequestMeta.DownloadDelay, -1.0)]
    [InlineData(RequestMeta.DownloadTimeout, 0.0)]
    [InlineData(RequestMeta.Proxy, "ftp://proxy:21")]
    [InlineData(RequestMeta.Proxy, 42)]
    [InlineData(RequestMeta.DontRetry, "yes")]
    public async Task AnInvalidMetaValue_FailsScheduling_NamingTheKey(string key, object value)
    {
        var request = new Request("http://127.0.0.1:1/") { Meta = { [key] = value } };

        var error = await Should.ThrowAsync<ArgumentException>(() => new RequestsSpider(request).RunAsync(Options()));

        error.Message.ShouldContain($"'{key}'");
    }

    [Fact]
    public async Task RetryAfter_BeyondTheMaximum_IsCutToIt()
    {
        await using var server = await TestSites.StartAsync(pages: 5);
        var logs = new CapturingLoggerProvider();
        var options = Options();
        options.Retry.MaxRetries = 1;
        options.Retry.MaxRetryAfter = TimeSpan.FromMilliseconds(100);

        // An hour, unless cut: the test would not finish.
        var spider = new RequestsSpider(new Request(new Uri(server.BaseUrl, "/trap/status/503?retry-after=3600")));
        var result = await new CrawlerBuilder(spider, options).UseLoggerFactory(logs.CreateFactory()).Build().RunAsync();

        server.FetchCount("/trap/status/503?retry-after=3600").ShouldBe(2);
        result.Stats.Retries.ShouldBe(1);
        logs.Lines.ShouldContain(line => line.Contains(" 1507 ") && line.Contains("a Retry-After of 1 h; waiting the maximum of 100 ms instead"));
    }

    [Fact]
    public void RetryAfter_ReadsSecondsAndHttpDates()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        Dictionary<string, IReadOnlyList<string>> Header(string value) => new(StringComparer.OrdinalIgnoreCase) { ["retry-after"] = [value] };

        Trawl.Politeness.RetryAfter.Parse(Header("120"), now).ShouldBe(TimeSpan.FromSeconds(120));
        Trawl.Politeness.RetryAfter.Parse(Header("Sun, 01 Mar 2026 12:00:30 GMT"), now).ShouldBe(TimeSpan.FromSeconds(30));
        Trawl.Politeness.RetryAfter.Parse(Header("Sun, 01 Mar 2026 11:00:00 GMT"), now).ShouldBe(TimeSpan.Zero);
        Trawl.Politeness.RetryAfter.Parse(Header("soon"), now).ShouldBeNull();
        Trawl.Politeness.RetryAfter.Parse(Header("-5"), now).ShouldBeNull();
        Trawl.Politeness.RetryAfter.Parse(new Dictionary<string, IReadOnlyList<string>>(), now).ShouldBeNull();
    }

    [Fact]
    public void InvalidOptions_AreRefusedWithAClearMessage()
    {
        static string Problem(Action<CrawlOptions> configure)
        {
            var options = new CrawlOptions();
            configure(options);
            return Should.Throw<ArgumentException>(options.Validate).Message;
        }

        Problem(o => o.AllowedDomains.Add("https://example.com/")).ShouldContain("AllowedDomains");
        Problem(o => o.Domains["x.com"] = new Trawl.Politeness.DomainSettings { Concurrency = 0 }).ShouldContain("Domains[x.com].Concurrency");
        Problem(o => o.MaxPagesPerDomain = 0).ShouldContain("MaxPagesPerDomain");
        Problem(o => o.AutoThrottle.TargetConcurrency = 0).ShouldContain("AutoThrottle.TargetConcurrency");
        Problem(o => o.AutoThrottle.MaxDelay = TimeSpan.FromSeconds(1)).ShouldContain("AutoThrottle.MaxDelay");
        Problem(o => o.RobotsTxt.UserAgent = "Bad Bot/1").ShouldContain("RobotsTxt.UserAgent");
        Problem(o => o.RecrawlAfter = TimeSpan.FromHours(1)).ShouldContain("JobDir");
        Problem(o => o.Retry.MaxRetryAfter = TimeSpan.FromSeconds(-1)).ShouldContain("MaxRetryAfter");
        Problem(o => o.Downloader.Proxies.Add("http://user:hunter2@proxy/path")).ShouldSatisfyAllConditions(
            message => message.ShouldContain("Downloader.Proxies"),
            message => message.ShouldNotContain("hunter2"));
        Problem(o => o.Downloader.UserAgents.Add(" ")).ShouldContain("Downloader.UserAgents");
    }
}
