using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Middleware;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Jobs;

public sealed class DurableCrawlTests
{
    private static CrawlOptions Durable(string jobDir, string? output = null) =>
        new() { HandleSignals = false, JobDir = jobDir, Output = output, CheckpointInterval = TimeSpan.FromMilliseconds(100) };

    [Fact]
    public async Task FinishedJob_RemovesItsDirectory_ByDefault()
    {
        await using var server = await TestSites.StartAsync(pages: 30);
        using var temp = new TempDirectory();
        var jobDir = temp.File("job");

        var result = await new SiteSpider(server.BaseUrl).RunAsync(Durable(jobDir, temp.File("items.jsonl")));

        result.Paused.ShouldBeFalse();
        result.JobDirectory.ShouldBeNull();
        Directory.Exists(jobDir).ShouldBeFalse();
        File.ReadAllLines(temp.File("items.jsonl")).Length.ShouldBe((int)result.Stats.Items);
    }

    [Fact]
    public async Task FinishedJob_IsKept_WithKeepJob_AndMarkedFinished()
    {
        await using var server = await TestSites.StartAsync(pages: 30);
        using var temp = new TempDirectory();
        var options = Durable(temp.File("job"));
        options.KeepJob = true;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.JobDirectory.ShouldBe(Path.GetFullPath(temp.File("job")));
        var status = await JobStore.ReadStatusAsync(temp.File("job"));
        status.ShouldNotBeNull();
        status.Metadata.IsFinished.ShouldBeTrue();
        status.Counts.Done.ShouldBe(result.Stats.Pages);
        status.Counts.Pending.ShouldBe(0);
    }

    [Fact]
    public async Task PauseThenResume_FetchesEachPageOnce_AndWritesEachItemOnce()
    {
        var siteOptions = new SandboxOptions { Pages = 600, QuotePages = 0, PageSize = 1024, Seed = 7 };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");

        using (var pause = new CancellationTokenSource())
        {
            var first = Durable(temp.File("job"), output);
            first.Concurrency = 4;
            var paused = await new CrawlerBuilder(new SiteSpider(server.BaseUrl), first).AddMiddleware(new PauseAfterResponses(120, pause)).Build().RunAsync(pause.Token);
            paused.Paused.ShouldBeTrue();
            paused.JobDirectory.ShouldNotBeNull();
        }

        var spider = new SiteSpider(server.BaseUrl);
        var resumed = await spider.RunAsync(Durable(temp.File("job"), output));

        resumed.Paused.ShouldBeFalse();
        var expected = SandboxSite.ReachablePaths(siteOptions);
        var paths = File.ReadAllLines(output).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath).ToList();
        paths.ShouldBe(expected, ignoreOrder: true);
        TestSites.PageFetches(server, siteOptions).Values.ShouldAllBe(count => count == 1);
    }

    [Fact]
    public async Task Resume_RestoresSpiderState_AndTellsTheSpiderItIsResuming()
    {
        await using var server = await TestSites.StartAsync(pages: 400);
        using var temp = new TempDirectory();
        using (var pause = new CancellationTokenSource())
        {
            var options = Durable(temp.File("job"));
            options.Concurrency = 2;
            var first = new CountingSpider(server.BaseUrl);
            (await new CrawlerBuilder(first, options).AddMiddleware(new PauseAfterResponses(20, pause)).Build().RunAsync(pause.Token)).Paused.ShouldBeTrue();
            first.StartedResuming.ShouldBe(false);
        }

        var second = new CountingSpider(server.BaseUrl);
        var result = await second.RunAsync(Durable(temp.File("job")));

        second.StartedResuming.ShouldBe(true);
        second.CountAtStart.ShouldBeGreaterThanOrEqualTo(20);
        second.State.Get<int>("pages").ShouldBe(second.CountAtStart + (int)result.Stats.Pages);
    }

    [Fact]
    public async Task Resume_WithACallbackTheSpiderNoLongerHas_FailsThoseRequestsClearly()
    {
        await using var server = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        using (var pause = new CancellationTokenSource())
        {
            var options = Durable(temp.File("job"));
            options.Concurrency = 1;
            await new CrawlerBuilder(new DetailSpider(server.BaseUrl), options).AddMiddleware(new PauseAfterResponses(1, pause)).Build().RunAsync(pause.Token);
        }

        var result = await new ListSpider(server.BaseUrl.AbsoluteUri).RunAsync(Durable(temp.File("job")));

        result.Stats.ErrorsByKind["unknown_callback"].ShouldBeGreaterThan(0);
        result.Items.ShouldBeEmpty();
    }

    [Fact]
    public async Task Resume_WithChangedStartUrls_AddsTheNewOnes_AndFetchesNothingTwice()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var temp = new TempDirectory();
        string Url(string path) => new Uri(server.BaseUrl, path).AbsoluteUri;
        using (var paused = new CancellationTokenSource())
        {
            await paused.CancelAsync();
            var first = await new ListSpider(Url("/pages/1")).RunAsync(Durable(temp.File("job")), paused.Token);
            first.Paused.ShouldBeTrue();
        }

        var result = await new ListSpider(Url("/pages/1"), Url("/pages/2")).RunAsync(Durable(temp.File("job")));

        result.Paused.ShouldBeFalse();
        result.Items.Count.ShouldBe(2);
        server.FetchCount("/pages/1").ShouldBe(1);
        server.FetchCount("/pages/2").ShouldBe(1);
    }

    [Fact]
    public async Task Rerun_OfAKeptFinishedJob_RefetchesStartPages_AndFollowsOnlyNewLinks()
    {
        await using var server = await TestSites.StartAsync(pages: 30);
        using var temp = new TempDirectory();
        var options = Durable(temp.File("job"));
        options.KeepJob = true;
        var first = await new SiteSpider(server.BaseUrl).RunAsync(options);
        first.Paused.ShouldBeFalse();

        var again = Durable(temp.File("job"));
        again.KeepJob = true;
        var second = await new SiteSpider(server.BaseUrl).RunAsync(again);

        second.Stats.Pages.ShouldBe(1);
        server.FetchCount("/").ShouldBe(2);
        server.FetchCount("/pages/0").ShouldBe(1);
    }

    [Fact]
    public async Task StartRequest_WithMetaThatCannotBeSerialized_FailsWhenScheduled_NamingTheKey()
    {
        using var temp = new TempDirectory();
        var spider = new BadMetaSpider();

        var error = await Should.ThrowAsync<InvalidRequestMetaException>(() => spider.RunAsync(Durable(temp.File("job"))));

        error.Key.ShouldBe("handler");
        error.Message.ShouldContain("'handler'");
    }

    [Fact]
    public async Task CorruptJobDirectory_IsRefused_AndLeftAsItWas()
    {
        using var temp = new TempDirectory();
        var jobDir = temp.File("job");
        Directory.CreateDirectory(jobDir);
        var db = Path.Combine(jobDir, "job.db");
        await File.WriteAllTextAsync(db, "this is not a database, just some text that happens to be here");
        var before = SHA256.HashData(await File.ReadAllBytesAsync(db));

        var error = await Should.ThrowAsync<JobDirectoryException>(() => new ListSpider("http://127.0.0.1:1/").RunAsync(Durable(jobDir)));

        error.Problem.ShouldBe(JobDirectoryProblem.Corrupt);
        error.Message.ShouldContain("--fresh");
        SHA256.HashData(await File.ReadAllBytesAsync(db)).ShouldBe(before);
    }

    [Fact]
    public async Task Fresh_MovesTheOldJobAside_AndStartsOver()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var temp = new TempDirectory();
        var jobDir = temp.File("job");
        Directory.CreateDirectory(jobDir);
        await File.WriteAllTextAsync(Path.Combine(jobDir, "job.db"), "garbage");
        var options = Durable(jobDir);
        options.FreshJob = true;

        var result = await new SiteSpider(server.BaseUrl).RunAsync(options);

        result.Paused.ShouldBeFalse();
        var aside = Directory.GetDirectories(temp.Path, "job.bak-*").ShouldHaveSingleItem();
        (await File.ReadAllTextAsync(Path.Combine(aside, "job.db"))).ShouldBe("garbage");
    }

    private sealed class CountingSpider(Uri start) : Spider
    {
        public bool? StartedResuming { get; private set; }

        public int CountAtStart { get; private set; }

        public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

        public override ValueTask OnStartAsync(bool resuming, CancellationToken cancellationToken)
        {
            StartedResuming = resuming;
            CountAtStart = State.Get<int>("pages");
            return ValueTask.CompletedTask;
        }

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            lock (State)
            {
                State.Set("pages", State.Get<int>("pages") + 1);
            }

            foreach (var link in response.FollowAll(response.Css("a[href]")))
            {
                yield return link;
            }

            await Task.CompletedTask;
        }
    }

    private sealed class DetailSpider(Uri start) : Spider
    {
        public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var link in response.FollowAll(response.Css("a[href]"), ParseDetail))
            {
                yield return link;
            }

            await Task.CompletedTask;
        }

        private async IAsyncEnumerable<object> ParseDetail(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return new { url = response.Url.AbsoluteUri };
            await Task.CompletedTask;
        }
    }

    private sealed class BadMetaSpider : Spider
    {
        public override IEnumerable<Request> StartRequests()
        {
            yield return new Request("http://127.0.0.1:1/") { Meta = { ["handler"] = new Action(() => { }) } };
        }

        public override IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken) =>
            AsyncEnumerable.Empty<object>();
    }
}
