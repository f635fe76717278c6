using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trawl.Engine;
using Trawl.Hosting;
using Trawl.Http;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Middleware;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Engine;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Hosting;

/// <summary>A crawl run by the Generic Host: to its end, paused by the host's shutdown and resumed, and what the application does after.</summary>
public sealed class CrawlServiceTests
{
    // Event ids of Trawl.Hosting's messages (Log.cs there) and of the core's.
    private const int Paused = 5004;
    private const int StoppingAtOnce = 5003;
    private const int Finished = 5006;
    private const int CannotStart = 5007;
    private const int Crashed = 5009;
    private const int CoreFinished = 1001;

    [Fact]
    public async Task Crawl_RunsToItsEnd_LogsToTheHostsLoggers_AndStopsTheApplication()
    {
        var siteOptions = new SandboxOptions { Pages = 30, QuotePages = 0, PageSize = 1024, Seed = 21 };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        using var host = TestHost.Create(
            new Dictionary<string, string?> { ["Trawl:Output"] = temp.File("items.jsonl") },
            services => services.AddTrawl(_ => new SiteSpider(server.BaseUrl), "Trawl"));

        // The application stops by itself once the crawl has finished.
        await host.Host.RunAsync().WaitAsync(Waiting.Generous);

        UrlPaths(temp.File("items.jsonl")).ShouldBe(SandboxSite.ReachablePaths(siteOptions), ignoreOrder: true);
        host.Logged(CoreFinished).ShouldBeTrue("the crawl logs through the host's logger factory");
        host.Messages(Finished).ShouldHaveSingleItem().ShouldContain("stopping the application");
        host.ExitCode.Code.ShouldBeNull();
    }

    [Fact]
    public async Task HostShutdown_PausesTheCrawl_AndTheNextStartResumes_WithEachItemOnceAndEachPageFetchedOnce()
    {
        using var threads = new ThreadPoolFloor();
        var siteOptions = new SandboxOptions { Pages = 400, QuotePages = 0, PageSize = 1024, Seed = 22, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var settings = new Dictionary<string, string?>
        {
            ["Trawl:JobDir"] = temp.File("job"),
            ["Trawl:Output"] = temp.File("items.jsonl"),
            // Spaced requests keep the crawl going for seconds, however fast the machine: the stop comes mid-crawl.
            ["Trawl:DownloadDelay"] = "00:00:00.01",
            ["Trawl:CheckpointInterval"] = "00:00:00.2",
        };

        using (var first = TestHost.Create(settings, services => services.AddTrawl(_ => new SiteSpider(server.BaseUrl), "Trawl")))
        {
            await first.Host.StartAsync();
            await Waiting.UntilAsync(() => server.TotalRequests >= 50, Waiting.Generous);
            await first.Host.StopAsync();

            first.Messages(Paused).ShouldHaveSingleItem().ShouldContain("resumes on the next start");
            first.Logged(StoppingAtOnce).ShouldBeFalse("the requests in flight finish well within the pause timeout");
            first.Logged(Finished).ShouldBeFalse();
            first.ExitCode.Code.ShouldBeNull("a pause on shutdown is how a worker service stops");
        }

        Directory.Exists(temp.File("job")).ShouldBeTrue();
        UrlPaths(temp.File("items.jsonl")).Count.ShouldBeLessThan(SandboxSite.ReachablePaths(siteOptions).Count);

        using (var second = TestHost.Create(settings, services => services.AddTrawl(_ => new SiteSpider(server.BaseUrl), "Trawl")))
        {
            await second.Host.RunAsync().WaitAsync(Waiting.Generous);
            second.Logged(Finished).ShouldBeTrue();
        }

        var expected = SandboxSite.ReachablePaths(siteOptions);
        UrlPaths(temp.File("items.jsonl")).ShouldBe(expected, ignoreOrder: true);
        TestSites.PageFetches(server, siteOptions).Values.Max().ShouldBe(1, "a graceful pause lets the requests in flight finish, so none is fetched again");
        Directory.Exists(temp.File("job")).ShouldBeFalse("a finished job removes its directory");
    }

    [Fact]
    public async Task PauseTimeout_StopsTheCrawlAtOnce_LeavingTheRequestStillInFlightInProgress()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 });
        using var temp = new TempDirectory();
        using var host = TestHost.Create(
            new Dictionary<string, string?>
            {
                ["Trawl:JobDir"] = temp.File("job"),
                ["Trawl:Output"] = temp.File("items.jsonl"),
                ["Trawl:Downloader:Timeout"] = "00:10:00",
                ["Trawl:Hosting:PauseTimeout"] = "00:00:00.2",
            },
            services => services.AddTrawl(_ => new ListSpider(new Uri(server.BaseUrl, "/trap/hang").AbsoluteUri, new Uri(server.BaseUrl, "/pages/0").AbsoluteUri), "Trawl"));

        await host.Host.StartAsync();
        // The page is committed and exported once its item is in the file; the hanging request is still in flight.
        await Waiting.UntilAsync(() => server.FetchCount("/trap/hang") == 1 && ReadLines(temp.File("items.jsonl")).Length == 1, Waiting.Generous);
        await host.Host.StopAsync().WaitAsync(Waiting.Generous);

        host.Logged(StoppingAtOnce).ShouldBeTrue();
        host.Logged(Paused).ShouldBeTrue();
        var status = (await JobDirectory.ReadStatusAsync(temp.File("job")))!;
        status.Counts.InProgress.ShouldBe(1, "the hanging request is fetched again on the next start");
        status.Counts.Done.ShouldBe(1);
    }

    [Fact]
    public async Task HostShutdownTimeout_StopsTheCrawlAtOnce_WhenItEndsBeforeThePauseTimeout()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 });
        using var temp = new TempDirectory();
        using var host = TestHost.Create(
            new Dictionary<string, string?>
            {
                ["Trawl:JobDir"] = temp.File("job"),
                ["Trawl:Downloader:Timeout"] = "00:10:00",
                ["Trawl:Hosting:PauseTimeout"] = "01:00:00",
            },
            services => services.AddTrawl(_ => new ListSpider(new Uri(server.BaseUrl, "/trap/hang").AbsoluteUri), "Trawl"));

        await host.Host.StartAsync();
        await Waiting.UntilAsync(() => server.FetchCount("/trap/hang") == 1, Waiting.Generous);
        using (var hostGivesUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await host.Host.StopAsync(hostGivesUp.Token).WaitAsync(Waiting.Generous);
        }

        host.Logged(StoppingAtOnce).ShouldBeTrue(host.Logs.AllText);
        await Waiting.UntilAsync(() => host.Logged(Paused), Waiting.Generous, "the crawl to close its job");
        (await JobDirectory.ReadStatusAsync(temp.File("job")))!.Counts.InProgress.ShouldBe(1);
    }

    [Fact]
    public async Task KeepRunning_LeavesTheApplicationRunning_AfterTheCrawlFinishes()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var host = TestHost.Create(
            new Dictionary<string, string?> { ["Trawl:Hosting:WhenFinished"] = "KeepRunning" },
            services => services.AddTrawl(_ => new SiteSpider(server.BaseUrl), "Trawl"));

        await host.Host.StartAsync();
        await Waiting.UntilAsync(() => host.Logged(Finished), Waiting.Generous);

        host.Messages(Finished).ShouldHaveSingleItem().ShouldContain("the application keeps running");
        host.Lifetime.ApplicationStopping.IsCancellationRequested.ShouldBeFalse();
        await host.Host.StopAsync();
    }

    [Fact]
    public async Task TwoCrawls_TheApplicationStops_OnceBothHaveFinished()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        await using var holding = new HoldingServer();
        using var host = TestHost.Create(
            new Dictionary<string, string?>(),
            services =>
            {
                services.AddTrawl(_ => new SiteSpider(server.BaseUrl), "Trawl");
                services.AddTrawl(_ => new ListSpider(holding.Url("/held").AbsoluteUri), "Crawls:Held");
            });

        var run = host.Host.RunAsync();
        await Waiting.UntilAsync(() => host.Messages(Finished).Any(m => m.Contains("Crawl site finished", StringComparison.Ordinal)), Waiting.Generous);
        run.IsCompleted.ShouldBeFalse();
        host.Lifetime.ApplicationStopping.IsCancellationRequested.ShouldBeFalse("the held crawl has not finished");

        holding.Release();
        await run.WaitAsync(Waiting.Generous);
        host.Messages(Finished).Count.ShouldBe(2);
    }

    [Fact]
    public async Task UnusableJobDirectory_StopsTheApplication_WithExitCode2_AndOneMessage()
    {
        using var temp = new TempDirectory();
        Directory.CreateDirectory(temp.File("job"));
        var garbage = new byte[10_000];
        new Random(42).NextBytes(garbage);
        await File.WriteAllBytesAsync(temp.File("job/job.db"), garbage);
        using var host = TestHost.Create(
            new Dictionary<string, string?> { ["Trawl:JobDir"] = temp.File("job") },
            services => services.AddTrawl(_ => new ListSpider("http://127.0.0.1:1/"), "Trawl"));

        await host.Host.RunAsync().WaitAsync(Waiting.Generous);

        host.ExitCode.Code.ShouldBe(2);
        var entry = host.Logs.Entries.Single(e => e.Id.Id == CannotStart);
        entry.Level.ShouldBe(LogLevel.Error);
        entry.Text.ShouldContain("not a SQLite database");
        entry.Text.ShouldNotContain("   at ", customMessage: "a bad job directory is a message, not a stack trace");
        (await File.ReadAllBytesAsync(temp.File("job/job.db"))).ShouldBe(garbage, "an unusable job is never overwritten");
    }

    [Fact]
    public async Task SettingMadeInvalidByTheSpider_StopsTheApplication_WithExitCode2()
    {
        using var host = TestHost.Create(new Dictionary<string, string?>(), services => services.AddTrawl(_ => new ZeroConcurrencySpider(), "Trawl"));

        await host.Host.RunAsync().WaitAsync(Waiting.Generous);

        host.ExitCode.Code.ShouldBe(2);
        host.Messages(CannotStart).ShouldHaveSingleItem().ShouldContain("Crawl option Concurrency must be at least 1.");
    }

    [Fact]
    public async Task SpiderThatCannotBeMade_StopsTheApplication_WithExitCode1()
    {
        using var host = TestHost.Create(new Dictionary<string, string?>(), services => services.AddTrawl<ListSpider>(_ => throw new InvalidOperationException("no spider today"), "Trawl"));

        await host.Host.RunAsync().WaitAsync(Waiting.Generous);

        host.ExitCode.Code.ShouldBe(1);
        host.Logs.Entries.Single(e => e.Id.Id == Crashed).Text.ShouldContain("no spider today");
    }

    [Fact]
    public async Task PipelinesAndMiddleware_AndTheSpider_ComeFromDependencyInjection()
    {
        var siteOptions = new SandboxOptions { Pages = 10, QuotePages = 0, PageSize = 1024, Seed = 23 };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var counter = new RequestCounter();
        using var host = TestHost.Create(
            new Dictionary<string, string?> { ["Trawl:Output"] = temp.File("items.jsonl") },
            services =>
            {
                services.AddSingleton(counter);
                services.AddSingleton(new Stamp("from the container"));
                services.AddSingleton(server);
                services.AddTrawl<ContainerSpider>()
                    .AddPipeline<StampPipeline>()
                    .AddMiddleware<CountingMiddleware>();
            });

        await host.Host.RunAsync().WaitAsync(Waiting.Generous);

        var items = File.ReadAllLines(temp.File("items.jsonl")).Select(line => JsonNode.Parse(line)!).ToList();
        items.Count.ShouldBe(SandboxSite.ReachablePaths(siteOptions).Count);
        items.ShouldAllBe(item => item["stamp"]!.GetValue<string>() == "from the container");
        counter.Count.ShouldBe(items.Count);
    }

    [Fact]
    public void PauseTimeout_ByDefault_LeavesFiveSecondsOfTheHostsShutdownTimeout()
    {
        var byDefault = new CrawlHostingOptions();
        byDefault.PauseTimeoutUnder(TimeSpan.FromSeconds(30)).ShouldBe(TimeSpan.FromSeconds(25));
        byDefault.PauseTimeoutUnder(TimeSpan.FromSeconds(90)).ShouldBe(TimeSpan.FromSeconds(85));
        byDefault.PauseTimeoutUnder(TimeSpan.FromSeconds(6)).ShouldBe(TimeSpan.FromSeconds(3));
        byDefault.PauseTimeoutUnder(Timeout.InfiniteTimeSpan).ShouldBe(Timeout.InfiniteTimeSpan);
        new CrawlHostingOptions { PauseTimeout = TimeSpan.FromSeconds(40) }.PauseTimeoutUnder(TimeSpan.FromSeconds(30)).ShouldBe(TimeSpan.FromSeconds(40));
    }

    private static List<string> UrlPaths(string output) =>
        [.. ReadLines(output).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath)];

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private sealed class ZeroConcurrencySpider : Spider
    {
        public override void ConfigureOptions(Trawl.Crawling.CrawlOptions options) => options.Concurrency = 0;

        public override IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken) => AsyncEnumerable.Empty<object>();
    }

    public sealed record Stamp(string Value);

    public sealed class RequestCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Increment() => Interlocked.Increment(ref _count);
    }

    /// <summary>A spider whose start comes from a service: the sandbox server registered in the container.</summary>
    public sealed class ContainerSpider(SandboxServer server) : Spider
    {
        private readonly SiteSpider _site = new(server.BaseUrl);

        public override string Name => "container";

        public override IEnumerable<string> StartUrls => _site.StartUrls;

        public override IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken) => _site.ParseAsync(response, cancellationToken);
    }

    public sealed class StampPipeline(Stamp stamp) : ItemPipeline
    {
        public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken)
        {
            item["stamp"] = stamp.Value;
            return ValueTask.FromResult<JsonObject?>(item);
        }
    }

    public sealed class CountingMiddleware(RequestCounter counter) : DownloaderMiddleware
    {
        public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
        {
            counter.Increment();
            return ValueTask.FromResult<Request?>(request);
        }
    }
}
