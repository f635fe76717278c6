using System.Text;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>What the Redis frontier does beyond the contract: several workers, seeding, cluster pause, status.</summary>
public sealed class RedisFrontierTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly RedisServer _server = fixture.Server;
    private readonly List<RedisFrontier> _frontiers = [];
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly FakeTimeProvider _time = new();
    private readonly string _spider = $"t-{Guid.NewGuid():N}";
    private ConnectionMultiplexer? _raw;

    private CancellationToken Ct => _timeout.Token;

    private IDatabase Raw => _raw!.GetDatabase();

    public async Task InitializeAsync() => _raw = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port}");

    public async Task DisposeAsync()
    {
        foreach (var frontier in _frontiers)
        {
            await frontier.DisposeAsync();
        }

        _raw?.Close(allowCommandsToComplete: false);
        _raw?.Dispose();
        _timeout.Dispose();
    }

    [Fact]
    public async Task DeadWorkersLeases_ComeBackToAnotherWorker_OnlyOnceTheyExpire()
    {
        var dead = await WorkerAsync("dead", lease: TimeSpan.FromSeconds(30));
        var alive = await WorkerAsync("alive", lease: TimeSpan.FromSeconds(30));
        await dead.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b")], Ct);
        var taken = await dead.TryLeaseAsync(10, Ct);
        taken.Count.ShouldBe(2);

        (await alive.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        var wait = alive.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(100));
        wait.IsCompleted.ShouldBeFalse("the dead worker's leases have not expired yet");

        _time.Advance(TimeSpan.FromSeconds(31));
        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        var again = await alive.TryLeaseAsync(10, Ct);
        again.Select(l => l.EntryId).ShouldBe(taken.Select(l => l.EntryId));
        again.ShouldAllBe(l => l.Attempt == 1);

        var late = await dead.CompleteAsync([Completion.Done(taken[0], 200, [], [Encoding.UTF8.GetBytes("{\"late\":1}")])], Ct);
        late.Accepted.ShouldBe([false]);
        var onTime = await alive.CompleteAsync([.. again.Select(l => Completion.Done(l, 200, [], [Encoding.UTF8.GetBytes("{\"ok\":1}")]))], Ct);
        onTime.Accepted.ShouldBe([true, true]);
        (await alive.ReadItemsAsync(0, 100, Ct)).Select(i => Encoding.UTF8.GetString(i.Json)).ShouldBe(["{\"ok\":1}", "{\"ok\":1}"]);
        (await alive.GetStatusAsync(Ct)).LeasesExpired.ShouldBe(2);
    }

    [Fact]
    public async Task StartUrls_TakesPlainUrlsAndJsonMessages_Deduplicated_FirstPushedFirst()
    {
        var worker = await WorkerAsync("w");
        var key = worker.Keys.StartUrls;
        key.ShouldBe($"trawl:{_spider}:start_urls");
        await Raw.ListLeftPushAsync(key, "http://example.com/a");
        await Raw.ListLeftPushAsync(key, """{"url":"http://example.com/b","meta":{"source":"feed"},"priority":5,"callback":"ParseItem"}""");
        await Raw.ListLeftPushAsync(key, "http://example.com/c");
        await Raw.ListLeftPushAsync(key, "HTTP://EXAMPLE.COM:80/a#again");
        await Raw.ListLeftPushAsync(key, "not a url");
        await Raw.ListLeftPushAsync(key, "{\"url\": 42");
        await Raw.ListLeftPushAsync(key, "http://example.com/d");

        var leases = await worker.TryLeaseAsync(10, Ct);

        leases.Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/b", "/a", "/c", "/d"]);
        leases[0].Request.Priority.ShouldBe(5);
        leases[0].Request.GetMeta<string>("source").ShouldBe("feed");
        leases[0].Request.Callback.ShouldBe("ParseItem");
        (await Raw.ListLengthAsync(key)).ShouldBe(0);
        var status = await worker.GetStatusAsync(Ct);
        status.InvalidSeeds.ShouldBe(2);
        status.SeedsWaiting.ShouldBe(0);
        var invalid = await Raw.ListRangeAsync(worker.Keys["seeds_invalid"]);
        invalid.Select(v => (string)v!).ShouldContain(v => v.Contains("not a url"));

        await Raw.ListLeftPushAsync(key, "http://example.com/c");
        (await worker.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task StartUrls_PushedWhileAWorkerWaits_AreLeasedWithoutRestarting()
    {
        var worker = await WorkerAsync("w", time: TimeProvider.System, configure: o => o.IdlePollInterval = TimeSpan.FromMilliseconds(100));
        await worker.AddAsync([new Request("http://example.com/busy")], Ct);
        (await worker.TryLeaseAsync(1, Ct)).Count.ShouldBe(1);

        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(100));
        wait.IsCompleted.ShouldBeFalse();
        await Raw.ListLeftPushAsync(worker.Keys.StartUrls, "http://example.com/seeded-later");

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        (await worker.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/seeded-later");
    }

    [Fact]
    public async Task LingeringWait_OfAFinishedCrawl_MakesNoCalls_AndWakesWhenAnotherWorkerAddsWork()
    {
        var idle = await WorkerAsync("idle");
        var other = await WorkerAsync("other");

        // The fake clock stands still: only the pub/sub signal can wake the wait.
        var wait = idle.WaitToLeaseAsync(TimeSpan.FromMinutes(1), Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse("the crawl is finished, but not for a minute yet");
        var calls = await ScriptCallsAsync();
        await Task.Delay(300);
        (await ScriptCallsAsync()).ShouldBe(calls, "an idle worker sleeps; it does not poll Redis");

        await other.AddAsync([new Request("http://example.com/new")], Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        (await idle.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/new");
    }

    [Fact]
    public async Task LingeringWait_ReturnsFalse_OnlyOnceTheCrawlHasBeenFinishedForTheLinger()
    {
        var worker = await WorkerAsync("w");

        var wait = worker.WaitToLeaseAsync(TimeSpan.FromSeconds(10), Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        _time.Advance(TimeSpan.FromSeconds(9));
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse("finished for 9 of the 10 seconds");
        _time.Advance(TimeSpan.FromSeconds(2));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeFalse();
    }

    [Fact]
    public async Task LingeringWait_PicksUpUrlsPushedByHand_AtTheSafetyPoll()
    {
        var worker = await WorkerAsync("w", configure: o => o.IdlePollInterval = TimeSpan.FromSeconds(2));

        var wait = worker.WaitToLeaseAsync(Timeout.InfiniteTimeSpan, Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        await Raw.ListLeftPushAsync(worker.Keys.StartUrls, "http://example.com/by-hand");
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse("a push to start_urls announces nothing");
        _time.Advance(TimeSpan.FromSeconds(2));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        (await worker.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/by-hand");
    }

    [Fact]
    public async Task SeedClaim_OfAWorkerThatDied_IsPutBack_InOrder_WhenItLapses()
    {
        var worker = await WorkerAsync("w", lease: TimeSpan.FromSeconds(30));
        foreach (var path in new[] { "one", "two", "three" })
        {
            await Raw.ListLeftPushAsync(worker.Keys.StartUrls, $"http://example.com/{path}");
        }

        // Another worker claims two seeds, then dies before scheduling them.
        var claim = (RedisResult[])(await RedisScripts.SeedClaim.EvaluateAsync(Raw,
            [worker.Keys.Prefix, _time.GetUtcNow().ToUnixTimeMilliseconds(), "gone", string.Empty, 2, 30_000]))!;
        claim.Length.ShouldBe(3);

        var three = (await worker.TryLeaseAsync(10, Ct)).Single();
        three.Request.Url.AbsolutePath.ShouldBe("/three");
        await worker.CompleteAsync([Completion.Done(three, 200, [], [])], Ct);
        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(100));
        wait.IsCompleted.ShouldBeFalse("a claim is outstanding, so the crawl is not finished");

        _time.Advance(TimeSpan.FromSeconds(31));
        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        (await worker.TryLeaseAsync(10, Ct)).Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/one", "/two"]);
    }

    [Fact]
    public async Task SeedAsync_SchedulesStartRequests_Deduplicated()
    {
        var worker = await WorkerAsync("w");

        (await worker.SeedAsync([new Request("http://example.com/"), new Request("http://example.com/#top"), new Request("http://example.com/x")], Ct)).ShouldBe(2);
        (await worker.SeedAsync([new Request("http://example.com/x")], Ct)).ShouldBe(0);
        (await worker.GetCountsAsync(Ct)).Pending.ShouldBe(2);
    }

    [Fact]
    public async Task ClusterPause_StopsEveryWorkerLeasing_AndKeepsThemWaiting_UntilResumed()
    {
        var operatorSide = await WorkerAsync("cli");
        var worker = await WorkerAsync("w");
        await operatorSide.AddAsync([new Request("http://example.com/a")], Ct);

        await operatorSide.PauseClusterAsync(Ct);

        (await worker.IsClusterPausedAsync(Ct)).ShouldBeTrue();
        (await worker.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        worker.IsPaused.ShouldBeTrue("the lease reply says so");
        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse("a paused cluster waits");
        (await worker.GetStatusAsync(Ct)).Paused.ShouldBeTrue();

        await operatorSide.ResumeClusterAsync(Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        worker.IsPaused.ShouldBeFalse();
        (await worker.TryLeaseAsync(10, Ct)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ClusterPause_OfAFinishedCrawl_IsNotReportedAsFinished_UntilResumed()
    {
        var worker = await WorkerAsync("w");
        await worker.PauseClusterAsync(Ct);

        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse();
        await worker.ResumeClusterAsync(Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeFalse();
    }

    [Fact]
    public async Task Status_ShowsLiveWorkers_Counts_Rates_AndTopErrors()
    {
        var a = await WorkerAsync("worker-a");
        var b = await WorkerAsync("worker-b");
        await a.AddAsync([.. Enumerable.Range(0, 6).Select(i => new Request($"http://example.com/{i}"))], Ct);
        var la = await a.TryLeaseAsync(3, Ct);
        var lb = await b.TryLeaseAsync(3, Ct);
        await a.CompleteAsync([Completion.Done(la[0], 200, [], [Encoding.UTF8.GetBytes("{}")]), Completion.Done(la[1], 200, [], []),
            Completion.Failed(la[2], "http_404", "Not Found", 404)], Ct);
        await b.CompleteAsync([Completion.Retry(lb[0], "timeout", "timed out", _time.GetUtcNow().AddMinutes(1)),
            Completion.Failed(lb[1], "timeout", "timed out")], Ct);

        var status = await a.GetStatusAsync(Ct);

        status.Spider.ShouldBe(_spider);
        status.Counts.ShouldBe(new FrontierCounts(Pending: 1, InProgress: 1, Done: 2, Failed: 2, Skipped: 0));
        status.Delayed.ShouldBe(1);
        status.Items.ShouldBe(1);
        status.LiveWorkers.ShouldBe(2);
        status.Workers.Single(w => w.Id == "worker-a").Done.ShouldBe(2);
        status.Workers.Single(w => w.Id == "worker-b").Leases.ShouldBe(1);
        status.Workers.ShouldAllBe(w => w.ProcessId == Environment.ProcessId);
        status.TopErrors.ShouldBe([new RedisErrorCount("timeout", 2), new RedisErrorCount("http_404", 1)]);
        status.DoneLast5Minutes.ShouldBe(2);
        status.PagesPerSecond.ShouldBeGreaterThan(0);
        status.Dedup.ShouldBe("exact");
        var failed = await Raw.HashGetAllAsync(a.Keys["failed"]);
        failed.Length.ShouldBe(2);
        failed.Select(e => (string)e.Value!).ShouldContain(v => v.Contains("\"kind\":\"http_404\"") && v.Contains("\"status\":404") && v.Contains("http://example.com/"));

        _time.Advance(TimeSpan.FromMinutes(2));
        (await a.GetStatusAsync(Ct)).LiveWorkers.ShouldBe(0);
        await b.DisposeAsync();
        (await a.GetStatusAsync(Ct)).Workers.Select(w => w.Id).ShouldBe(["worker-a"]);
    }

    [Fact]
    public async Task DoneRequests_DropTheirBody_ButStaySeen()
    {
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a")], Ct);
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();
        (await Raw.HashLengthAsync(worker.Keys["requests"])).ShouldBe(1);

        await worker.CompleteAsync([Completion.Done(lease, 200, [], [])], Ct);

        (await Raw.HashLengthAsync(worker.Keys["requests"])).ShouldBe(0);
        (await Raw.HashLengthAsync(worker.Keys["entries"])).ShouldBe(0);
        (await worker.AddAsync([new Request("http://example.com/a")], Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task Completion_SentAgainAfterALostReply_IsNotAppliedTwice()
    {
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a")], Ct);
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();
        Completion[] batch = [Completion.Done(lease, 200, [new Request("http://example.com/b")], [Encoding.UTF8.GetBytes("{\"n\":1}"), Encoding.UTF8.GetBytes("{\"n\":2}")])];

        var first = await worker.CompleteAsync(batch, "op-1", acknowledge: false, Ct);
        var replay = await worker.CompleteAsync(batch, "op-1", acknowledge: true, Ct);
        var fresh = await worker.CompleteAsync(batch, "op-2", acknowledge: true, Ct);
        var forgotten = await worker.CompleteAsync(batch, "op-1", acknowledge: true, Ct);

        first.Accepted.ShouldBe([true]);
        replay.Accepted.ShouldBe([true]);
        replay.Added.ShouldBe(first.Added);
        replay.Items.Select(i => i.Sequence).ShouldBe(first.Items.Select(i => i.Sequence));
        fresh.Accepted.ShouldBe([false]);
        forgotten.Accepted.ShouldBe([false], "once acknowledged, the memoized result is gone");
        (await worker.ReadItemsAsync(0, 10, Ct)).Count.ShouldBe(2);
        (await worker.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(1, 0, 1, 0, 0));
    }

    [Fact]
    public async Task Lease_SentAgainAfterALostReply_ReturnsTheSameLeases_InsteadOfLeasingMore()
    {
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b"), new Request("http://example.com/c")], Ct);

        var first = await worker.TryLeaseAsync(2, "lease-1", acknowledge: false, Ct);
        var replay = await worker.TryLeaseAsync(2, "lease-1", acknowledge: false, Ct);
        await worker.CompleteAsync([Completion.Done(first[0], 200, [], [])], Ct);
        var afterCompletion = await worker.TryLeaseAsync(2, "lease-1", acknowledge: true, Ct);
        var fresh = await worker.TryLeaseAsync(2, Ct);
        var forgotten = await worker.TryLeaseAsync(2, "lease-1", acknowledge: true, Ct);

        first.Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/a", "/b"]);
        replay.Select(l => (l.EntryId, l.Token, l.Request.Url, l.Attempt, l.ExpiresAt)).ShouldBe(first.Select(l => (l.EntryId, l.Token, l.Request.Url, l.Attempt, l.ExpiresAt)));
        afterCompletion.Select(l => l.Token).ShouldBe([first[1].Token], "a lease completed since is not handed out again");
        fresh.Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/c"], "the replays leased nothing more");
        forgotten.ShouldBeEmpty("once acknowledged, the memoized leases are forgotten, and nothing is pending");
        (await worker.GetStatusAsync(Ct)).LeasesGranted.ShouldBe(3);
    }

    [Fact]
    public void StableWorkerId_IsTheSameForTheSameKey_DiffersForAnother_AndIsAValidWorkerId()
    {
        var id = RedisFrontier.StableWorkerId("host:/data/one.jsonl");

        RedisFrontier.StableWorkerId("host:/data/one.jsonl").ShouldBe(id);
        RedisFrontier.StableWorkerId("host:/data/two.jsonl").ShouldNotBe(id);
        RedisKeys.IsValidName(id).ShouldBeTrue(id);
        new RedisFrontierOptions { WorkerId = id }.Validate();
    }

    [Fact]
    public async Task BloomDedup_DropsDuplicates_AndLaterWorkersAdoptTheRecordedFilter()
    {
        var first = await WorkerAsync("a", configure: o =>
        {
            o.Dedup = RedisDedup.Bloom;
            o.BloomExpectedItems = 100_000;
            o.BloomFalsePositiveRate = 0.001;
        });
        var second = await WorkerAsync("b", configure: o => o.Dedup = RedisDedup.Exact);

        second.Dedup.ShouldBe(RedisDedup.Bloom);
        second.BloomFilter!.Bits.ShouldBe(first.BloomFilter!.Bits);
        (await first.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b"), new Request("http://example.com/a")], Ct)).ShouldBe(2);
        (await second.AddAsync([new Request("http://example.com/b"), new Request("http://example.com/c"), new Request("http://example.com/c") { DontFilter = true }], Ct)).ShouldBe(2);
        (await Raw.KeyExistsAsync(first.Keys["seen"])).ShouldBeFalse();
        (await Raw.StringLengthAsync(first.Keys["bloom"])).ShouldBeGreaterThan(0);
        (await first.GetStatusAsync(Ct)).Dedup.ShouldStartWith("bloom m=");
    }

    [Fact]
    public async Task IsPaused_IsHeardByPubSub_AndAStaleReplyDoesNotUndoIt()
    {
        var operatorSide = await WorkerAsync("cli");
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a")], Ct);
        (await worker.TryLeaseAsync(1, Ct)).Count.ShouldBe(1);
        worker.IsPaused.ShouldBeFalse();

        await operatorSide.PauseClusterAsync(Ct);
        while (!worker.IsPaused)
        {
            await Task.Delay(10, Ct);
        }

        // A state of the epoch before the pause, as a lease reply sent before it but read after it would carry.
        await Raw.StringDecrementAsync(worker.Keys["pause_epoch"]);
        await Raw.KeyDeleteAsync(worker.Keys.Paused);
        (await worker.TryLeaseAsync(1, Ct)).ShouldBeEmpty();
        worker.IsPaused.ShouldBeTrue("an older epoch's state is stale");

        await operatorSide.ResumeClusterAsync(Ct);
        while (worker.IsPaused)
        {
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task ListCrawls_FindsCrawlsByConfigOrStartUrls()
    {
        await WorkerAsync("w");
        var seededOnly = $"seeded-{Guid.NewGuid():N}";
        await Raw.ListLeftPushAsync($"trawl:{seededOnly}:start_urls", "http://example.com/");

        var crawls = await RedisFrontier.ListCrawlsAsync(_raw!, 0, Ct);

        crawls.ShouldContain(_spider);
        crawls.ShouldContain(seededOnly);
    }

    [Fact]
    public async Task Scripts_RunByTheirHash()
    {
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a")], Ct);
        await worker.TryLeaseAsync(1, Ct);

        var stats = (string)(await Raw.ExecuteAsync("INFO", "commandstats"))!;
        stats.ShouldContain("cmdstat_evalsha:");
    }

    // Script calls the server has run so far (EVALSHA and EVAL), from INFO commandstats.
    private async Task<long> ScriptCallsAsync()
    {
        var stats = (string)(await Raw.ExecuteAsync("INFO", "commandstats"))!;
        return stats.Split('\n')
            .Where(line => line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) || line.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
            .Sum(line => long.Parse(line.Split("calls=")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<RedisFrontier> WorkerAsync(string workerId, TimeSpan? lease = null, TimeProvider? time = null, Action<RedisFrontierOptions>? configure = null)
    {
        var options = new RedisFrontierOptions
        {
            Url = _server.Url,
            SpiderName = _spider,
            WorkerId = workerId,
            Clock = RedisClock.Client,
            TimeProvider = time ?? _time,
            LeaseDuration = lease ?? TimeSpan.FromMinutes(5),
        };
        configure?.Invoke(options);
        var frontier = await RedisFrontier.ConnectAsync(options, Ct);
        _frontiers.Add(frontier);
        return frontier;
    }
}
