using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Trawl.Cli;
using Trawl.Cli.Hosting;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary><c>trawl crawl --metrics</c> in a real child process, scraped over loopback while it crawls a sandbox site.</summary>
public sealed class MetricsCliTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Crawl_WithMetrics_ServesPrometheusText_ThatAgreesWithTheCrawl_OnLoopbackOnly()
    {
        var siteOptions = new SandboxOptions { Pages = 60, QuotePages = 0, PageSize = 1024, Seed = 7, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var pages = SandboxSite.ReachablePaths(siteOptions).Count;
        var spider = new Dictionary<string, string> { ["spider"] = "metrics-cli" };
        string[] args =
        [
            "crawl", "--start", site.BaseUrl.AbsoluteUri, "--start", Url(site, "/trap/status/404"), "--start", Url(site, "/trap/status/503"),
            "--start", Url(site, "/trap/hang"), "--allow", "/pages/\\d+$", "--field", "title=h1::text", "--name", "metrics-cli",
            "--retries", "0", "--timeout", "600", "--no-job", "-o", "items.jsonl", "--no-progress", "--log-level", "warning", "--metrics", "0",
        ];

        using var child = CliProcess.Start(temp.Path, args);
        var url = await CliMetrics.UrlAsync(child, RunTimeout);
        using var http = new HttpClient();
        PrometheusScrape scrape = null!;
        var text = string.Empty;
        // Everything but the hanging request is done, and the frontier gauges have caught up (they follow the
        // progress report, once a second).
        await Waiting.UntilAsync(
            async () =>
            {
                child.HasExited.ShouldBeFalse(child.Output + child.Error);
                (scrape, text) = await PrometheusScrape.GetWithTextAsync(http, url);
                return scrape.Value("trawl_pages_completed_total", spider) == pages
                    && scrape.Samples("trawl_requests_failed_total", spider).Sum(s => s.Value) == 2
                    && scrape.Value("trawl_frontier_leased", spider) == 1;
            },
            RunTimeout,
            "every page but the hanging one",
            () => $"{pages} pages expected\n{text}\n{child.Output}\n{child.Error}");

        url.Host.ShouldBe("127.0.0.1");
        foreach (var family in scrape.Families.Values)
        {
            family.Help.ShouldNotBeNullOrWhiteSpace();
            family.Type.ShouldNotBeNull();
            if (family.Type == "counter")
            {
                family.Name.ShouldEndWith("_total");
            }
        }

        // A metric appears with its first measurement: no retry and no skip, so not those two.
        scrape.Families.Keys.Order(StringComparer.Ordinal).ShouldBe(
        [
            "trawl_download_duration_seconds", "trawl_downloaded_bytes_total", "trawl_frontier_leased", "trawl_frontier_pending", "trawl_items_total",
            "trawl_pages_completed_total", "trawl_pages_fetched_total", "trawl_requests_failed_total", "trawl_requests_in_flight",
        ]);
        scrape.Family("trawl_download_duration_seconds").Type.ShouldBe("histogram");
        scrape.Family("trawl_requests_in_flight").Type.ShouldBe("gauge");
        scrape.Family("trawl_frontier_pending").Type.ShouldBe("gauge");
        scrape.Value("trawl_items_total", spider).ShouldBe(pages);
        scrape.Value("trawl_pages_fetched_total", With(spider, "status_class", "2xx")).ShouldBe(pages);
        scrape.Value("trawl_pages_fetched_total", With(spider, "status_class", "4xx")).ShouldBe(1);
        scrape.Value("trawl_pages_fetched_total", With(spider, "status_class", "5xx")).ShouldBe(1);
        scrape.Value("trawl_requests_failed_total", With(spider, "kind", "http_404")).ShouldBe(1);
        scrape.Value("trawl_requests_failed_total", With(spider, "kind", "http_503")).ShouldBe(1);
        scrape.Families.ContainsKey("trawl_retries_total").ShouldBeFalse("--retries 0");
        scrape.Value("trawl_requests_in_flight", spider).ShouldBe(1, "the hanging request");
        scrape.Value("trawl_frontier_pending", spider).ShouldBe(0);
        var (count, sum) = scrape.Family("trawl_download_duration_seconds").Histogram(spider);
        count.ShouldBe(pages + 2, "every answered download: the pages, the 404 and the 503; the hanging one has not ended");
        sum.ShouldBeGreaterThan(0);
        scrape.Value("trawl_downloaded_bytes_total", spider)!.Value.ShouldBeGreaterThan(pages * 512);

        CliMetrics.ListeningAddress(url.Port).ShouldBe("0100007F", "a bare port binds 127.0.0.1");
        (await CliMetrics.AcceptsOnOtherAddressAsync(url.Port)).ShouldBeFalse();
        using (var notFound = await http.GetAsync(new Uri(url, "/other")))
        {
            notFound.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        using (var below = await http.GetAsync(new Uri(url, "/metrics/more")))
        {
            below.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        }

        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url)))
        {
            head.StatusCode.ShouldBe(HttpStatusCode.OK);
            head.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
            (await head.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
        }

        using (var post = await http.PostAsync(url, new StringContent("x")))
        {
            post.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        }

        child.Interrupt();
        await Waiting.UntilAsync(() => child.Error.Contains("Pausing") || child.HasExited, RunTimeout, "the pause");
        var paused = await PrometheusScrape.GetAsync(http, url);
        child.Interrupt();
        (await child.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, child.Output + child.Error);

        paused.Value("trawl_pages_completed_total", spider).ShouldBe(pages, "a scrape while pausing sees the same counts");
        CliMetrics.Summary(child.Output).ShouldBe((pages, pages, 2));
        File.ReadAllLines(temp.File("items.jsonl")).Length.ShouldBe(pages);
    }

    [Fact]
    public async Task Metrics_OnAllInterfaces_AreReachableFromOtherAddresses_AndSayAsMuch()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();

        using var child = CliProcess.Start(temp.Path, "crawl", "--start", Url(site, "/trap/hang"), "--allow", "^$", "--no-job", "--timeout", "600", "--no-progress", "--metrics", "0.0.0.0:0");
        var url = await CliMetrics.UrlAsync(child, RunTimeout);
        await Waiting.UntilAsync(() => child.Error.Contains("reachable from the network") || child.HasExited, RunTimeout, "the warning");

        url.Host.ShouldBe("0.0.0.0");
        child.Error.ShouldContain($"Metrics on 0.0.0.0:{url.Port} are reachable from the network");
        CliMetrics.ListeningAddress(url.Port).ShouldBe("00000000");
        (await CliMetrics.AcceptsOnOtherAddressAsync(url.Port)).ShouldBeTrue();
        using var http = new HttpClient();

        // The endpoint is up (and warns) before the crawl has started, so its metrics come a moment later.
        PrometheusScrape scrape = null!;
        var text = string.Empty;
        await Waiting.UntilAsync(
            async () =>
            {
                (scrape, text) = await PrometheusScrape.GetWithTextAsync(http, new Uri($"http://127.0.0.2:{url.Port}/metrics"));
                return scrape.Families.ContainsKey("trawl_requests_in_flight");
            },
            RunTimeout,
            "the crawl's metrics on 127.0.0.2",
            () => text);
    }

    [Fact]
    public async Task MetricsPortInUse_IsAUsageError_BeforeAnythingIsCrawled()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync("crawl", "--start", site.BaseUrl.AbsoluteUri, "--jobdir", temp.File("job"), "--metrics", port);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldBe($"trawl: Cannot serve metrics on 127.0.0.1:{port}: the port is already in use.");
        site.TotalRequests.ShouldBe(0);
        Directory.Exists(temp.File("job")).ShouldBeFalse();
    }

    [Fact]
    public async Task IdleConnectionFlood_OnTheMetricsPort_HoldsFewDescriptors_AndTheyAreClosedWhenIdle()
    {
        OperatingSystem.IsLinux().ShouldBeTrue("the child's descriptors are counted in /proc");
        const int Flood = 200;
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        using var child = CliProcess.Start(temp.Path, "crawl", "--start", Url(site, "/trap/hang"), "--allow", "^$", "--no-job", "--timeout", "600", "--no-progress", "--metrics", "0");
        var url = await CliMetrics.UrlAsync(child, RunTimeout);
        using var http = new HttpClient();
        await PrometheusScrape.GetAsync(http, url);
        var before = Directory.GetFiles($"/proc/{child.Id}/fd").Length;

        // Connections that never send a byte, as a scanner or a slow attacker leaves them.
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < Flood; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(socket);
                await socket.ConnectAsync(IPAddress.Loopback, url.Port);
            }

            // The server keeps at most its limit of them, and closes the rest at once (well before the 130 s a Kestrel
            // server keeps an idle connection by default).
            await Waiting.UntilAsync(() => idle.Count(ClosedByServer) >= Flood - MetricsServer.MaxConnections, TimeSpan.FromSeconds(40), "the connections past the limit to be closed");
            var during = Directory.GetFiles($"/proc/{child.Id}/fd").Length;
            (during - before).ShouldBeLessThanOrEqualTo(MetricsServer.MaxConnections + 8, "descriptors the flood costs the crawler");

            // Those it kept are closed once idle, so a scraper gets in again.
            await Waiting.UntilAsync(() => idle.All(ClosedByServer), TimeSpan.FromSeconds(60), "the idle connections to be closed");
            var scrape = await PrometheusScrape.GetAsync(http, url);
            scrape.Families.Keys.ShouldContain("trawl_requests_in_flight");
            child.HasExited.ShouldBeFalse(child.Output + child.Error);
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }
    }

    // A connection the other side closed reads as readable with nothing to read.
    private static bool ClosedByServer(Socket socket)
    {
        try
        {
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static string Url(SandboxServer site, string path) => new Uri(site.BaseUrl, path).AbsoluteUri;

    private static Dictionary<string, string> With(Dictionary<string, string> labels, string key, string value) => new(labels) { [key] = value };
}
