using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Trawl.Cli;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>
/// <c>trawl seed/pause/resume/export</c> and <c>trawl status --frontier</c> against a real redis-server, with real
/// worker processes crawling the sandbox site. Tests that rely on "the only crawl in the database" use a database of
/// their own (the URL's /DB); the others name their crawl.
/// </summary>
public sealed class ClusterCommandsTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private readonly RedisServer _server = fixture.Server;
    private readonly List<IAsyncDisposable> _opened = [];
    private readonly CancellationTokenSource _timeout = new(RunTimeout);
    private readonly TempDirectory _temp = new();
    private readonly string _name = $"cc-{Guid.NewGuid():N}";

    private CancellationToken Ct => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var opened in _opened)
        {
            await opened.DisposeAsync();
        }

        _temp.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task Seed_AddsStartRequests_BeforeAndWhileAWorkerRuns_WhichCrawlsThem()
    {
        var url = Database(_server.Url, 1);
        await using var site = await SandboxServer.StartAsync(new SandboxOptions { Pages = 20, QuotePages = 0, PageSize = 1024, Seed = 3, EnableRequestLog = false });
        var page = (int n) => new Uri(site.BaseUrl, $"/pages/{n}").AbsoluteUri;

        var before = await CliRunner.RunAsync("seed", "--frontier", url, "--name", _name, page(3), page(5));
        before.ExitCode.ShouldBe(ExitCodes.Finished, before.Error);
        before.Output.ShouldContain("2 new, 0 already seen");

        // --deny . follows no link: the worker fetches its start page and the seeds, nothing else.
        using var worker = CliProcess.Start(_temp.Path, "crawl", "--start", page(0), "--deny", ".", "--name", _name, "--frontier", url, "--wait",
            "-o", "out.jsonl", "--no-progress", "--log-level", "warning");
        var crawl = await AdminAsync(url, _name);
        await WaitForAsync(crawl, status => status.Counts.Done == 3, worker);

        // No --name: the only crawl in this database.
        var during = await CliRunner.RunAsync("seed", "--frontier", url, page(7), page(3));
        during.ExitCode.ShouldBe(ExitCodes.Finished, during.Error);
        during.Output.ShouldContain("1 new, 1 already seen");
        await WaitForAsync(crawl, status => status.Counts.Done == 4, worker);

        worker.Interrupt();
        (await worker.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, worker.Output + worker.Error);
        Paths(_temp.File("out.jsonl")).ShouldBe(["/pages/0", "/pages/3", "/pages/5", "/pages/7"], ignoreOrder: true);
    }

    [Fact]
    public async Task AWorkerWithoutStartUrls_CrawlsWhatIsSeeded_FollowingLinksOnTheSeedsHost()
    {
        var url = Database(_server.Url, 2);
        await using var site = await SandboxServer.StartAsync(new SandboxOptions { Pages = 25, QuotePages = 0, PageSize = 1024, Seed = 4, EnableRequestLog = false });
        await using var other = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0, PageSize = 1024, Seed = 6, EnableRequestLog = false });

        // The other site's home page links to its own pages only; it is seeded but its host differs from the first
        // seed's, so each seed's links are followed on its own host.
        var seeded = await CliRunner.RunAsync("seed", "--frontier", url, "--name", _name, site.BaseUrl.AbsoluteUri, other.BaseUrl.AbsoluteUri);
        seeded.ExitCode.ShouldBe(ExitCodes.Finished, seeded.Error);

        var worker = await CliRunner.RunAsync("crawl", "--name", _name, "--frontier", url, "--idle-timeout", "1", "-o", _temp.File("seeded.jsonl"), "--no-progress", "--ignore-robots");

        worker.ExitCode.ShouldBe(ExitCodes.Finished, worker.Output + worker.Error);
        var urls = File.ReadLines(_temp.File("seeded.jsonl")).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>())).ToList();
        urls.Count(u => u.Authority == site.BaseUrl.Authority).ShouldBe(26);
        urls.Count(u => u.Authority == other.BaseUrl.Authority).ShouldBe(6);
        urls.Distinct().Count().ShouldBe(urls.Count);
    }

    [Fact]
    public async Task AWorkerWithoutStartUrlsOrFrontier_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--name", _name, "--no-job");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain("No start URL");
    }

    [Fact]
    public async Task Seed_TakesJsonRequestsAndAFile_WithTheirMetaAndPriority()
    {
        var file = _temp.File("seeds.txt");
        await File.WriteAllLinesAsync(file, ["# feeds to look at", "", "  http://example.com/from-file  ", """{"url":"http://example.com/json-in-file","priority":1}"""]);

        var run = await CliRunner.RunAsync("seed", "--frontier", _server.Url, "--name", _name, "--priority", "5", "http://example.com/plain",
            """{"url":"http://example.com/json","meta":{"source":"feed","download_timeout":5},"priority":9}""", "--file", file);

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        run.Output.ShouldContain("Seeded 4 requests");
        var leases = await (await OpenAsync(_server.Url, _name)).TryLeaseAsync(10, Ct);
        leases.Select(lease => (lease.Request.Url.AbsolutePath, lease.Request.Priority))
            .ShouldBe([("/json", 9), ("/plain", 5), ("/from-file", 5), ("/json-in-file", 1)]);
        leases[0].Request.GetMeta<string>("source").ShouldBe("feed");
    }

    [Fact]
    public async Task Seed_ABadUrl_SeedsNothing_AndIsAUsageError()
    {
        var run = await CliRunner.RunAsync("seed", "--frontier", _server.Url, "--name", _name, "http://example.com/fine", "example.com/no-scheme");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("'example.com/no-scheme' (argument 2)");
        (await RedisCrawlAdmin.ListCrawlsAsync(new RedisCrawlOptions { Url = _server.Url }, Ct)).ShouldNotContain(_name);
    }

    [Fact]
    public async Task Pause_StopsRunningWorkersTakingRequests_TheyIdleWithoutExiting_UntilResumed()
    {
        // 300 pages at least 0.1 s apart: the crawl cannot finish within the 30 s the pause has to land in.
        var siteOptions = new SandboxOptions { Pages = 300, QuotePages = 0, PageSize = 1024, Seed = 11, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        var total = SandboxSite.ReachablePaths(siteOptions).Count;
        using var worker = CliProcess.Start(_temp.Path, "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--name", _name,
            "--frontier", _server.Url, "--idle-timeout", "1", "-o", "out.jsonl", "--concurrency", "2", "--delay", "0.1", "--no-randomize-delay",
            "--no-progress", "--log-level", "warning");
        var crawl = await AdminAsync(_server.Url, _name);
        await WaitForAsync(crawl, status => status.Counts.Done >= 3, worker);

        var pause = await CliRunner.RunAsync("pause", "--frontier", _server.Url, "--name", _name);

        pause.ExitCode.ShouldBe(ExitCodes.Finished, pause.Error);
        // In-flight requests finish and the leased ones not started go back: nothing stays out with the worker. How many
        // finish before the worker hears of the pause is up to the scheduler; that none starts after it is not.
        var paused = await WaitForAsync(crawl, status => status.Counts.InProgress == 0, worker);
        paused.Paused.ShouldBeTrue();
        paused.Counts.Done.ShouldBeLessThan(total, "the crawl is paused mid-way");
        await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
        var later = await crawl.GetStatusAsync(Ct);
        later.Counts.Done.ShouldBe(paused.Counts.Done, "a paused worker starts nothing new");
        later.Counts.InProgress.ShouldBe(0);
        later.Workers.ShouldContain(w => w.Live, "the paused worker waits, heartbeating");
        worker.HasExited.ShouldBeFalse(worker.Output + worker.Error);

        var resume = await CliRunner.RunAsync("resume", "--frontier", _server.Url, "--name", _name);

        resume.ExitCode.ShouldBe(ExitCodes.Finished, resume.Error);
        await WaitForAsync(crawl, status => status.Counts.Done > paused.Counts.Done, worker);
        worker.Interrupt();
        (await worker.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, worker.Output + worker.Error);
        worker.Error.ShouldContain("The shared crawl is paused");
        var final = await crawl.GetStatusAsync(Ct);
        final.Counts.InProgress.ShouldBe(0, "Ctrl+C hands the worker's requests back");
        var written = Paths(_temp.File("out.jsonl"));
        written.ShouldBe(written.Distinct(), "each page's item once");
        written.Count.ShouldBe((int)final.Counts.Done, "every page done is in the worker's output");
    }

    [Fact]
    public async Task Status_ShowsCountsLiveWorkersAndErrors_AsTextAndJson_NeverThePassword()
    {
        const string password = "st4tus-Secret";
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = password });
        var siteOptions = new SandboxOptions { Pages = 10, QuotePages = 0, PageSize = 1024, Seed = 5, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        (await CliRunner.RunAsync("seed", "--frontier", server.Url, "--name", _name, new Uri(site.BaseUrl, "/no-such-page").AbsoluteUri)).ExitCode.ShouldBe(0);
        using var worker = CliProcess.Start(_temp.Path, "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--name", _name,
            "--frontier", server.Url, "--wait", "--no-progress", "--log-level", "warning", "--retries", "0");
        var expected = SandboxSite.ReachablePaths(siteOptions).Count;
        await WaitForAsync(await AdminAsync(server.Url, _name), status => status.Counts.Done == expected && status.Counts.Failed == 1, worker);

        var text = await CliRunner.RunAsync("status", "--frontier", server.Url);
        var json = await CliRunner.RunAsync("status", "--frontier", server.Url, "--json");

        text.ExitCode.ShouldBe(ExitCodes.Finished, text.Error);
        text.Output.ShouldContain($"Crawl:     {_name} on redis://:***@127.0.0.1:{server.Port}/0 (finished)");
        text.Output.ShouldContain($"{expected + 1} in all: 0 pending (0 retries waiting), 0 in progress, {expected} done, 1 failed, 0 skipped");
        text.Output.ShouldContain($"Items:     {expected}");
        text.Output.ShouldContain("Workers:   1 live");
        text.Output.ShouldContain("http_404");
        var workerId = Regex.Match(worker.Output, @"worker (\S+)\.\r?\n").Groups[1].Value;
        workerId.ShouldNotBeEmpty(worker.Output);
        text.Output.ShouldContain(workerId);
        json.ExitCode.ShouldBe(ExitCodes.Finished, json.Error);
        var status = JsonNode.Parse(json.Output)!;
        status["spider"]!.GetValue<string>().ShouldBe(_name);
        status["counts"]!["done"]!.GetValue<long>().ShouldBe(expected);
        status["counts"]!["failed"]!.GetValue<long>().ShouldBe(1);
        status["items"]!.GetValue<long>().ShouldBe(expected);
        status["paused"]!.GetValue<bool>().ShouldBeFalse();
        status["dedup"]!.GetValue<string>().ShouldBe("exact");
        status["live_workers"]!.GetValue<int>().ShouldBe(1);
        var live = status["workers"]!.AsArray().ShouldHaveSingleItem()!;
        live["id"]!.GetValue<string>().ShouldBe(workerId);
        live["done"]!.GetValue<long>().ShouldBe(expected);
        status["top_errors"]![0]!["kind"]!.GetValue<string>().ShouldBe("http_404");
        (text.Output + text.Error + json.Output + json.Error).ShouldNotContain(password);

        worker.Interrupt();
        (await worker.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, worker.Output + worker.Error);
        (worker.Output + worker.Error).ShouldNotContain(password);
    }

    [Fact]
    public async Task Export_WritesEachItemOnce_AndARunAgainAppendsOnlyTheNewOnes()
    {
        var crawl = await OpenAsync(_server.Url, _name);
        await CommitItemsAsync(crawl, 0, 30);

        var first = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", _temp.File("items.jsonl"));
        var firstJson = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", _temp.File("items.json"));
        await CommitItemsAsync(crawl, 30, 20);
        var second = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", _temp.File("items.jsonl"));
        var secondJson = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", _temp.File("items.json"));
        var csv = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", _temp.File("items.txt"), "--format", "csv");

        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Error);
        first.Output.ShouldContain("Exported 30 new items");
        second.ExitCode.ShouldBe(ExitCodes.Finished, second.Error);
        second.Output.ShouldContain("Exported 20 new items");
        Numbers(_temp.File("items.jsonl")).ShouldBe(Enumerable.Range(0, 50));
        firstJson.ExitCode.ShouldBe(ExitCodes.Finished, firstJson.Error);
        secondJson.ExitCode.ShouldBe(ExitCodes.Finished, secondJson.Error);
        JsonNode.Parse(await File.ReadAllTextAsync(_temp.File("items.json")))!.AsArray().Select(item => item!["n"]!.GetValue<int>())
            .ShouldBe(Enumerable.Range(0, 50), "a JSON array stays one valid array across runs");
        csv.ExitCode.ShouldBe(ExitCodes.Finished, csv.Error);
        (await File.ReadAllLinesAsync(_temp.File("items.txt"))).ShouldBe(["n,text", .. Enumerable.Range(0, 50).Select(n => $"{n},item {n}")]);
    }

    [Fact]
    public async Task Export_CrashBetweenWritingAndCheckpointing_ResumesWithoutDuplicatesOrATornLine()
    {
        var crawl = await OpenAsync(_server.Url, _name);
        await CommitItemsAsync(crawl, 0, 40);
        var output = _temp.File("items.jsonl");
        (await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", output)).ExitCode.ShouldBe(ExitCodes.Finished);

        // What a crash leaves: items written past the last checkpoint, the last of them torn.
        var lines = await File.ReadAllLinesAsync(output);
        var position = lines.Take(25).Sum(line => Encoding.UTF8.GetByteCount(line) + 1);
        await (await AdminAsync(_server.Url, _name)).Items.SetExportCheckpointAsync(output, new ExportCheckpoint(25, position), Ct);
        await File.AppendAllTextAsync(output, "{\"n\":40,\"te");

        var again = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", output);

        again.ExitCode.ShouldBe(ExitCodes.Finished, again.Error);
        again.Output.ShouldContain("Exported 15 new items");
        Numbers(output).ShouldBe(Enumerable.Range(0, 40));
    }

    [Fact]
    public async Task Export_Follow_KilledWithSigkill_ResumesWithEachItemOnce()
    {
        var crawl = await OpenAsync(_server.Url, _name);
        // A request nobody takes keeps the crawl unfinished, so the follower keeps going until it is killed.
        await crawl.AddAsync([new Request("http://example.com/never-fetched") { Priority = -1 }], Ct);
        await CommitItemsAsync(crawl, 0, 20_000, perRequest: 500);
        var output = _temp.File("items.jsonl");
        using var follower = CliProcess.Start(_temp.Path, "export", "--frontier", _server.Url, "--name", _name, "-o", output, "--follow");
        await WaitUntilAsync(() => File.Exists(output) && new FileInfo(output).Length > 0, follower);

        await follower.KillAsync();
        await CommitItemsAsync(crawl, 20_000, 100);
        var again = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", output);

        again.ExitCode.ShouldBe(ExitCodes.Finished, again.Error);
        Numbers(output).ShouldBe(Enumerable.Range(0, 20_100));
    }

    [Fact]
    public async Task Export_Follow_WritesItemsAsTheyCome_AndEndsWhenTheCrawlIsFinished()
    {
        var crawl = await OpenAsync(_server.Url, _name);
        await crawl.AddAsync([new Request("http://example.com/last") { Priority = -1 }], Ct);
        await CommitItemsAsync(crawl, 0, 10);
        var output = _temp.File("items.jsonl");
        using var follower = CliProcess.Start(_temp.Path, "export", "--frontier", _server.Url, "--name", _name, "-o", output, "--follow");
        await WaitUntilAsync(() => LineCount(output) == 10, follower);

        await CommitItemsAsync(crawl, 10, 5);
        await WaitUntilAsync(() => LineCount(output) == 15, follower);
        follower.HasExited.ShouldBeFalse("the crawl still has a request pending");
        var last = (await crawl.TryLeaseAsync(1, Ct)).ShouldHaveSingleItem();
        await crawl.CompleteAsync([Completion.Done(last, 200, [], [Item(15)])], Ct);

        (await follower.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, follower.Output + follower.Error);
        follower.Output.ShouldContain("The crawl is finished.");
        Numbers(output).ShouldBe(Enumerable.Range(0, 16));
    }

    [Fact]
    public async Task Export_Follow_CtrlC_StopsWithExitCode3_AfterWritingWhatItRead()
    {
        var crawl = await OpenAsync(_server.Url, _name);
        await crawl.AddAsync([new Request("http://example.com/never-fetched") { Priority = -1 }], Ct);
        await CommitItemsAsync(crawl, 0, 25);
        var output = _temp.File("items.json");
        using var follower = CliProcess.Start(_temp.Path, "export", "--frontier", _server.Url, "--name", _name, "-o", output, "--follow");
        await WaitUntilAsync(() => LineCount(output) > 25, follower);

        follower.Interrupt();

        (await follower.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, follower.Output + follower.Error);
        follower.Output.ShouldContain("Stopped by Ctrl+C");
        JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsArray().Count.ShouldBe(25, "the JSON array is closed on the way out");
    }

    [Fact]
    public async Task Export_AfterTheFileWasDeleted_WritesEveryItemAgain()
    {
        var crawl = await OpenAsync(_server.Url, _name);
        await CommitItemsAsync(crawl, 0, 10);
        var output = _temp.File("items.jsonl");
        (await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", output)).ExitCode.ShouldBe(ExitCodes.Finished);
        File.Delete(output);
        await CommitItemsAsync(crawl, 10, 5);

        var again = await CliRunner.RunAsync("export", "--frontier", _server.Url, "--name", _name, "-o", output);

        again.ExitCode.ShouldBe(ExitCodes.Finished, again.Error);
        again.Output.ShouldContain("is gone; writing every item");
        Numbers(output).ShouldBe(Enumerable.Range(0, 15));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("pause")]
    [InlineData("export", "-o", "items.jsonl")]
    public async Task NoCrawlInTheDatabase_IsAUsageError(string command, params string[] more)
    {
        var url = Database(_server.Url, 5);

        var run = await CliRunner.RunAsync([command, "--frontier", url, .. more.Select(arg => arg.EndsWith(".jsonl", StringComparison.Ordinal) ? _temp.File(arg) : arg)]);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldBe($"trawl: There is no crawl in redis://127.0.0.1:{_server.Port}/5.");
    }

    [Fact]
    public async Task SeveralCrawlsInTheDatabase_WithoutName_AreListed_AndItIsAUsageError()
    {
        var url = Database(_server.Url, 6);
        (await CliRunner.RunAsync("seed", "--frontier", url, "--name", "alpha", "http://example.com/a")).ExitCode.ShouldBe(0);
        (await CliRunner.RunAsync("seed", "--frontier", url, "--name", "beta", "http://example.com/b")).ExitCode.ShouldBe(0);

        var run = await CliRunner.RunAsync("status", "--frontier", url);
        var named = await CliRunner.RunAsync("status", "--frontier", url, "--name", "beta", "--json");
        var unknown = await CliRunner.RunAsync("pause", "--frontier", url, "--name", "gamma");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("There are 2 crawls in redis://127.0.0.1:");
        run.Error.ShouldContain("alpha, beta; choose one with --name");
        named.ExitCode.ShouldBe(ExitCodes.Finished, named.Error);
        JsonNode.Parse(named.Output)!["counts"]!["pending"]!.GetValue<long>().ShouldBe(1);
        unknown.ExitCode.ShouldBe(ExitCodes.Usage);
        unknown.ErrorLines.ShouldHaveSingleItem().ShouldContain("There is no crawl 'gamma'");
    }

    [Fact]
    public async Task UnreachableRedis_FailsWithinSeconds_InOneLine_WithoutThePassword()
    {
        var url = $"redis://:unre4chable-pw@127.0.0.1:{FreePort()}/0";
        var clock = Stopwatch.StartNew();

        var run = await CliRunner.RunAsync("status", "--frontier", url);

        clock.Stop();
        run.ExitCode.ShouldBe(ExitCodes.Error);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("was unreachable");
        (run.Output + run.Error).ShouldNotContain("unre4chable-pw");
        // A bound against waiting the way workers do (forever), not a speed measurement.
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AWrongPassword_FailsInOneLine_WithoutThePassword()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = "right-pw" });
        var url = server.Url.Replace("right-pw", "wr0ng-pw", StringComparison.Ordinal);

        var run = await CliRunner.RunAsync("seed", "--frontier", url, "--name", _name, "http://example.com/");

        run.ExitCode.ShouldBe(ExitCodes.Error);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("check the user and password");
        (run.Output + run.Error).ShouldNotContain("wr0ng-pw");
    }

    [Theory]
    [InlineData("Give a job directory or --frontier, not both.", "status", "somejob", "--frontier", "redis://127.0.0.1:1/0")]
    [InlineData("Say which job's failed requests", "status", "--failed")]
    [InlineData("--name names a crawl shared on Redis", "status", "--name", "x")]
    [InlineData("--name names a crawl shared on Redis", "status", "somejob", "--name", "x")]
    [InlineData("Invalid --frontier URL", "pause", "--frontier", "redis://:s3cret@127.0.0.1:1/zero")]
    [InlineData("Invalid --name 'a b'", "resume", "--frontier", "redis://127.0.0.1:1/0", "--name", "a b")]
    [InlineData("Nothing to seed", "seed", "--frontier", "redis://127.0.0.1:1/0")]
    [InlineData("Invalid --format 'xml'", "export", "--frontier", "redis://127.0.0.1:1/0", "-o", "items.jsonl", "--format", "xml")]
    [InlineData("has the extension '.txt'", "export", "--frontier", "redis://127.0.0.1:1/0", "-o", "items.txt")]
    [InlineData("--frontier", "seed", "http://example.com/")]
    public async Task BadArguments_AreAUsageError_InOneLine_BeforeRedisIsAsked(string message, params string[] args)
    {
        var run = await CliRunner.RunAsync(args);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines[0].ShouldContain(message);
        run.Error.ShouldNotContain("s3cret");
        run.Error.ShouldNotContain("   at ");
    }

    // A worker's side of the crawl: to commit items as workers do.
    private async Task<RedisFrontier> OpenAsync(string url, string name)
    {
        var frontier = await RedisFrontier.ConnectAsync(new RedisFrontierOptions { Url = url, SpiderName = name }, Ct);
        _opened.Add(frontier);
        return frontier;
    }

    // The operator's side: to watch the crawl.
    private async Task<RedisCrawlAdmin> AdminAsync(string url, string name)
    {
        var admin = await RedisCrawlAdmin.ConnectAsync(new RedisCrawlOptions { Url = url, SpiderName = name }, Ct);
        _opened.Add(admin);
        return admin;
    }

    // Commits items {"n":…,"text":…} numbered from `first`, as workers would: lease a request, complete it with items.
    private async Task CommitItemsAsync(RedisFrontier crawl, int first, int count, int perRequest = 10)
    {
        for (var n = first; n < first + count; n += perRequest)
        {
            var upTo = Math.Min(first + count, n + perRequest);
            await crawl.AddAsync([new Request($"http://example.com/items/{n}")], Ct);
            var leases = await crawl.TryLeaseAsync(1, Ct);
            var lease = leases.ShouldHaveSingleItem();
            var items = Enumerable.Range(n, upTo - n).Select(Item).ToList();
            (await crawl.CompleteAsync([Completion.Done(lease, 200, [], items)], Ct)).Accepted.ShouldBe([true]);
        }
    }

    private static byte[] Item(int n) => JsonSerializer.SerializeToUtf8Bytes(new { n, text = $"item {n}" });

    private async Task<RedisCrawlStatus> WaitForAsync(RedisCrawlAdmin crawl, Func<RedisCrawlStatus, bool> condition, CliProcess worker)
    {
        while (true)
        {
            var status = await crawl.GetStatusAsync(Ct);
            if (condition(status))
            {
                return status;
            }

            worker.HasExited.ShouldBeFalse($"the process exited early:\n{worker.Output}\n{worker.Error}");
            await Task.Delay(100, Ct);
        }
    }

    private async Task WaitUntilAsync(Func<bool> condition, CliProcess process)
    {
        while (!condition())
        {
            process.HasExited.ShouldBeFalse($"the process exited early:\n{process.Output}\n{process.Error}");
            await Task.Delay(20, Ct);
        }
    }

    private static string Database(string url, int database) => url[..url.LastIndexOf('/')] + "/" + database;

    private static List<string> Paths(string output) =>
        File.Exists(output)
            ? [.. File.ReadAllLines(output).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath)]
            : [];

    // While an exporter starts, the file may be a probe it holds exclusively for a moment: that counts as no lines yet.
    private static int LineCount(string output)
    {
        try
        {
            return File.Exists(output) ? File.ReadAllLines(output).Length : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    // Every line must be a whole item: a torn line fails to parse.
    private static List<int> Numbers(string output) => [.. File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!["n"]!.GetValue<int>())];

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
