using Trawl.Downloader;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Middleware;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Hostile;

/// <summary>
/// One crawl per misbehaving server: the bad request ends as done or failed with a clear kind, in bounded time (the
/// crawl finishes under <see cref="HostileCrawl.RunLimit"/>), and the rest of the site is crawled completely, each page
/// exactly once.
/// </summary>
public sealed class HostileServerTests
{
    [Fact]
    public async Task RedirectOutOfScope_IsNotFollowed_AndIsRecordedAsRedirectBlocked()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var offsite = new UriBuilder(server.BaseUrl) { Host = "localhost", Path = "/pages/0" }.Uri;
        var trap = new Uri(server.BaseUrl, $"/trap/redirect-to?url={Uri.EscapeDataString(offsite.AbsoluteUri)}");
        var options = HostileCrawl.Options(temp);
        options.AllowedDomains.Add("127.0.0.1");

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, trap.AbsoluteUri), options);

        run.Outcome(trap).ErrorKind.ShouldBe("redirect_blocked");
        run.Outcome(trap).Attempts.ShouldBe(1);
        // /pages/0 was fetched once, from its own link: the redirect to localhost was not followed.
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Fact]
    public async Task ServerErrorBursts_AreRetried_AndEndDone()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        string[] traps = ["/trap/flaky/b500?fail=2&status=500", "/trap/flaky/b502?fail=2&status=502", "/trap/flaky/b503?fail=2&status=503"];

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, [.. traps.Select(t => new Uri(server.BaseUrl, t).AbsoluteUri)]), HostileCrawl.Options(temp));

        foreach (var trap in traps)
        {
            var outcome = run.Outcome(new Uri(server.BaseUrl, trap));
            outcome.Status.ShouldBe("done", trap);
            outcome.Attempts.ShouldBe(3, trap);
            server.FetchCount(trap).ShouldBe(3, trap);
        }

        run.Result.Stats.ErrorsByKind.ShouldBe(new Dictionary<string, long> { ["http_500"] = 2, ["http_502"] = 2, ["http_503"] = 2 }, ignoreOrder: true);
        run.Result.Stats.Failed.ShouldBe(0);
        run.ItemUrls.Count(url => url.Contains("/trap/flaky/", StringComparison.Ordinal)).ShouldBe(3);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ARetryFallingDue_GoesOut_WhileOnlyAHangingRequestIsInFlight(bool durable)
    {
        var site = HostileCrawl.SiteOptions(pages: 3);
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        const string Trap = "/trap/flaky/while-hanging?fail=1&status=503";
        const string Hang = "/trap/hang";
        var options = HostileCrawl.Options(temp);
        options.JobDir = durable ? options.JobDir : null;
        options.Retry.MaxRetries = 1;

        // The hanging request hangs in the middleware: in flight, and never ending by itself, until the trap's retry
        // has gone out. A crawl that waited for a completion before sending the retry would wait for ever; the hold's
        // bound then ends it, and the test fails.
        var hold = new HoldUntilSent(Hang, Trap, times: 2);
        using var abort = new CancellationTokenSource(HostileCrawl.RunLimit);
        var spider = new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, Hang).AbsoluteUri, new Uri(server.BaseUrl, Trap).AbsoluteUri);

        var result = await new CrawlerBuilder(spider, options).UseAbortToken(abort.Token).AddMiddleware(hold).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        hold.Outcome.ShouldBe("released", "the retry went out while the hanging request was in flight");
        server.FetchCount(Trap).ShouldBe(2);
        server.FetchCount(Hang).ShouldBe(0, "once released, the held request was skipped");
        result.Stats.SkippedByKind["middleware"].ShouldBe(1);
    }

    [Fact]
    public async Task ServerErrorBurst_LongerThanTheRetries_FailsWithItsStatus()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        const string Trap = "/trap/flaky/long?fail=10&status=503";

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, Trap).AbsoluteUri), HostileCrawl.Options(temp));

        var outcome = run.Outcome(new Uri(server.BaseUrl, Trap));
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("http_503");
        outcome.HttpStatus.ShouldBe(503);
        outcome.Attempts.ShouldBe(3);
        server.FetchCount(Trap).ShouldBe(3);
        run.Result.Stats.Failed.ShouldBe(1);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter_IsRetried_AndEndsDone()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        const string Trap = "/trap/flaky/throttled?fail=1&status=429&retry-after=1";

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, Trap).AbsoluteUri), HostileCrawl.Options(temp));

        var outcome = run.Outcome(new Uri(server.BaseUrl, Trap));
        outcome.Status.ShouldBe("done");
        outcome.Attempts.ShouldBe(2);
        server.FetchCount(Trap).ShouldBe(2);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Fact]
    public async Task TooManyRequests_PastTheRetries_FailsAsHttp429()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        const string Trap = "/trap/status/429?retry-after=1";
        var options = HostileCrawl.Options(temp);
        options.Retry.MaxRetries = 1;

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, Trap).AbsoluteUri), options);

        var outcome = run.Outcome(new Uri(server.BaseUrl, Trap));
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("http_429");
        outcome.Attempts.ShouldBe(2);
        server.FetchCount(Trap).ShouldBe(2);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Fact]
    public async Task ConnectionResetMidBody_FailsAsReset_AfterItsRetries()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        const string Trap = "/trap/reset";

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, Trap).AbsoluteUri), HostileCrawl.Options(temp));

        var outcome = run.Outcome(new Uri(server.BaseUrl, Trap));
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("reset");
        outcome.Attempts.ShouldBe(3);
        server.FetchCount(Trap).ShouldBe(3);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Fact]
    public async Task ServerThatAcceptsAndNeverAnswers_TimesOut_AfterItsRetries()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        await using var silent = SilentServer.Start();
        using var temp = new TempDirectory();
        var options = HostileCrawl.Options(temp);
        options.Retry.MaxRetries = 1;
        var silentUrl = new Uri(silent.BaseUrl, "/never");

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, silentUrl.AbsoluteUri) { TrapTimeout = TimeSpan.FromSeconds(1) }, options);

        var outcome = run.Outcome(silentUrl);
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("timeout");
        outcome.Attempts.ShouldBe(2);
        await Waiting.UntilAsync(() => silent.Connections >= 1, Waiting.Generous, "the silent server to count the connection");
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    /// <summary>
    /// The key test: three requests hang on the crawled site itself, holding three of its four per-domain slots
    /// until they time out, and again on retry. The rest of the site still goes through, each page exactly once.
    /// </summary>
    [Fact]
    public async Task WhileRequestsHang_TheRestOfTheSiteIsCrawledCompletely_AndTheHangsEndAsTimeouts()
    {
        var site = HostileCrawl.SiteOptions(pages: 60);
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var options = HostileCrawl.Options(temp);
        options.ConcurrencyPerDomain = 4;
        options.Retry.MaxRetries = 1;
        string[] hangs = ["/trap/hang?n=1", "/trap/hang?n=2", "/trap/hang?n=3"];
        var spider = new TrapSiteSpider(server.BaseUrl, [.. hangs.Select(h => new Uri(server.BaseUrl, h).AbsoluteUri)]) { TrapTimeout = TimeSpan.FromSeconds(1) };

        var run = await HostileCrawl.RunAsync(spider, options);

        run.ShouldHaveCrawledTheWholeSite(server, site);
        foreach (var hang in hangs)
        {
            var outcome = run.Outcome(new Uri(server.BaseUrl, hang));
            outcome.Status.ShouldBe("failed", hang);
            outcome.ErrorKind.ShouldBe("timeout", hang);
            outcome.Attempts.ShouldBe(2, hang);
            server.FetchCount(hang).ShouldBe(2, hang);
        }

        run.Result.Stats.Failed.ShouldBe(3);
        run.Result.Stats.Pages.ShouldBe(SandboxSite.ReachablePaths(site).Count);
        run.Items.Count.ShouldBe(SandboxSite.ReachablePaths(site).Count);
    }

    [Fact]
    public async Task OneBytePerSecond_TimesOutOnTheTotalTimeout()
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var options = HostileCrawl.Options(temp);
        options.Retry.MaxRetries = 1;
        const string Trap = "/trap/trickle?bytes=60&ms=1000";

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, Trap).AbsoluteUri) { TrapTimeout = TimeSpan.FromSeconds(1.5) }, options);

        var outcome = run.Outcome(new Uri(server.BaseUrl, Trap));
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("timeout");
        outcome.LastError.ShouldNotBeNull().ShouldContain("1.5 s");
        outcome.Attempts.ShouldBe(2);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Theory]
    [InlineData("/trap/large?mb=2048")]
    [InlineData("/trap/gzip-bomb")]
    public async Task HugeBody_FailsAsTooLarge_OnceAndWithoutRetries(string trap)
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var options = HostileCrawl.Options(temp);
        options.Retry.MaxRetries = 1;

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, trap).AbsoluteUri), options);

        var outcome = run.Outcome(new Uri(server.BaseUrl, trap));
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("too_large");
        outcome.LastError.ShouldNotBeNull().ShouldContain((16 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        outcome.Attempts.ShouldBe(1);
        server.FetchCount(trap).ShouldBe(1);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    [Theory]
    [InlineData("/trap/redirect-loop")]
    [InlineData("/trap/redirect/50")]
    public async Task EndlessRedirects_FailAsRedirects_WithoutRetries(string trap)
    {
        var site = HostileCrawl.SiteOptions();
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();

        var run = await HostileCrawl.RunAsync(new TrapSiteSpider(server.BaseUrl, new Uri(server.BaseUrl, trap).AbsoluteUri), HostileCrawl.Options(temp));

        var outcome = run.Outcome(new Uri(server.BaseUrl, trap));
        outcome.Status.ShouldBe("failed");
        outcome.ErrorKind.ShouldBe("redirects");
        outcome.Attempts.ShouldBe(1);
        server.FetchCount(trap).ShouldBe(1);
        run.ShouldHaveCrawledTheWholeSite(server, site);
    }

    /// <summary>
    /// Which hosts are allowed is the crawl's scope; the downloader's part is to ask its <see cref="HttpDownloader.RedirectFilter"/>
    /// before every hop and, when refused, stop without sending anything to the target.
    /// </summary>
    [Fact]
    public async Task RedirectToAHostThatIsNotAllowed_FailsAsRedirectBlocked_WithoutContactingIt()
    {
        await using var server = await SandboxServer.StartAsync(HostileCrawl.SiteOptions());
        var offsite = new UriBuilder(server.BaseUrl) { Host = "localhost", Path = "/pages/0" }.Uri;
        var asked = new List<Uri>();
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = TimeSpan.FromSeconds(5) })
        {
            RedirectFilter = target =>
            {
                lock (asked)
                {
                    asked.Add(target);
                }

                return target.Host == server.BaseUrl.Host;
            },
        };
        var trap = new Uri(server.BaseUrl, $"/trap/redirect-to?url={Uri.EscapeDataString(offsite.AbsoluteUri)}");

        var result = await downloader.DownloadAsync(new Request(trap), CancellationToken.None);

        result.Error.ShouldBe(DownloadError.RedirectBlocked);
        result.ErrorKind.ShouldBe("redirect_blocked");
        result.Message.ShouldNotBeNull().ShouldContain("localhost");
        result.IsTransient.ShouldBeFalse();
        asked.ShouldBe([offsite]);
        server.FetchCount("/pages/0").ShouldBe(0);
    }
}

/// <summary>
/// Holds every request for <paramref name="held"/> in the middleware until a request for <paramref name="awaited"/> has
/// been sent <paramref name="times"/> times (or a generous bound has passed), then skips it.
/// </summary>
internal sealed class HoldUntilSent(string held, string awaited, int times) : DownloaderMiddleware
{
    private readonly TaskCompletionSource _sent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>How the first hold ended: "released" by the awaited request, "timed out", or "never held".</summary>
    public string Outcome { get; private set; } = "never held";

    public override async ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
    {
        var path = request.Url.PathAndQuery;
        if (path == awaited && Interlocked.Increment(ref _count) == times)
        {
            _sent.TrySetResult();
        }

        if (path != held)
        {
            return request;
        }

        if (!_sent.Task.IsCompleted)
        {
            try
            {
                await _sent.Task.WaitAsync(Waiting.Generous, cancellationToken);
                Outcome = Outcome == "never held" ? "released" : Outcome;
            }
            catch (TimeoutException)
            {
                Outcome = "timed out";
            }
        }

        return null;
    }
}
