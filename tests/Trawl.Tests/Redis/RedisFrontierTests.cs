using System.Text;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>
/// What the Redis frontier does beyond the contract: several workers, seeding, cluster pause and status (acted on from
/// outside by a <see cref="RedisCrawlAdmin"/>, as the CLI's commands do).
/// </summary>
public sealed class RedisFrontierTests(RedisServerFixture fixture) : RedisCrawlTestBase("t", fakeClock: true), IClassFixture<RedisServerFixture>
{
    protected override Task<RedisServer> ServerAsync() => Task.FromResult(fixture.Server);

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

        Time.Advance(TimeSpan.FromSeconds(31));
        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        var again = await alive.TryLeaseAsync(10, Ct);
        again.Select(l => l.EntryId).ShouldBe(taken.Select(l => l.EntryId));
        again.ShouldAllBe(l => l.Attempt == 1);

        var late = await dead.CompleteAsync([Completion.Done(taken[0], 200, [], [Encoding.UTF8.GetBytes("{\"late\":1}")])], Ct);
        late.Accepted.ShouldBe([false]);
        var onTime = await alive.CompleteAsync([.. again.Select(l => Completion.Done(l, 200, [], [Encoding.UTF8.GetBytes("{\"ok\":1}")]))], Ct);
        onTime.Accepted.ShouldBe([true, true]);
        (await alive.ReadItemsAsync(0, 100, Ct)).Select(i => Encoding.UTF8.GetString(i.Json)).ShouldBe(["{\"ok\":1}", "{\"ok\":1}"]);
        (await StatusAsync()).LeasesExpired.ShouldBe(2);
    }

    [Fact]
    public async Task StartUrls_TakesPlainUrlsAndJsonMessages_Deduplicated_FirstPushedFirst()
    {
        var worker = await WorkerAsync("w");
        var key = worker.Keys.StartUrls;
        key.ShouldBe($"trawl:{Crawl.Spider}:start_urls");
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
        var status = await StatusAsync();
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
        var clock = new WatchedClock(Time);
        var idle = await WorkerAsync("idle", time: clock);
        var other = await WorkerAsync("other");
        (await idle.WaitToLeaseAsync(Ct)).ShouldBeFalse("the crawl is finished (and the worker has registered and looked for seeds)");

        // The fake clock stands still: only the pub/sub signal can wake the wait. Once it sleeps, it makes no calls.
        var asleep = clock.TimerCreated(TimeSpan.FromSeconds(2));
        var wait = idle.WaitToLeaseAsync(TimeSpan.FromMinutes(1), Ct).AsTask();
        await asleep.WaitAsync(Ct);
        var calls = await ScriptCallsAsync();
        await Task.Delay(300, Ct);
        (await ScriptCallsAsync()).ShouldBe(calls, "an idle worker sleeps; it does not poll Redis");
        wait.IsCompleted.ShouldBeFalse("the crawl is finished, but not for a minute yet");

        await other.AddAsync([new Request("http://example.com/new")], Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        (await idle.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/new");
    }

    [Fact]
    public async Task LingeringWait_ReturnsFalse_OnlyOnceTheCrawlHasBeenFinishedForTheLinger()
    {
        var clock = new WatchedClock(Time);
        var worker = await WorkerAsync("w", time: clock);

        // It has seen the crawl finished, and sleeps until the next look (the idle poll, 2 s) before the clock moves.
        var asleep = clock.TimerCreated(TimeSpan.FromSeconds(2));
        var wait = worker.WaitToLeaseAsync(TimeSpan.FromSeconds(10), Ct).AsTask();
        await asleep.WaitAsync(Ct);
        // Woken at 2 s, it looks again and sleeps for what is left of the linger, or the next idle poll.
        var asleepAgain = clock.TimerCreated(due => due <= TimeSpan.FromSeconds(2));
        Time.Advance(TimeSpan.FromSeconds(9));
        await asleepAgain.WaitAsync(Ct);
        wait.IsCompleted.ShouldBeFalse("finished for 9 of the 10 seconds");
        Time.Advance(TimeSpan.FromSeconds(2));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeFalse();
    }

    [Fact]
    public async Task LingeringWait_PicksUpUrlsPushedByHand_AtTheSafetyPoll()
    {
        var clock = new WatchedClock(Time);
        var worker = await WorkerAsync("w", time: clock, configure: o => o.IdlePollInterval = TimeSpan.FromSeconds(2));

        var asleep = clock.TimerCreated(TimeSpan.FromSeconds(2));
        var wait = worker.WaitToLeaseAsync(Timeout.InfiniteTimeSpan, Ct).AsTask();
        await asleep.WaitAsync(Ct);
        await Raw.ListLeftPushAsync(worker.Keys.StartUrls, "http://example.com/by-hand");
        await Task.WhenAny(wait, Task.Delay(200, Ct));
        wait.IsCompleted.ShouldBeFalse("a push to start_urls announces nothing");
        Time.Advance(TimeSpan.FromSeconds(2));

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
            new ScriptArgs(worker.Keys.Prefix, "gone", string.Empty, string.Empty).Add(2).Add(30_000).ToArray(Time.GetUtcNow().ToUnixTimeMilliseconds())))!;
        claim.Length.ShouldBe(3);

        var three = (await worker.TryLeaseAsync(10, Ct)).Single();
        three.Request.Url.AbsolutePath.ShouldBe("/three");
        await worker.CompleteAsync([Completion.Done(three, 200, [], [])], Ct);
        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(100));
        wait.IsCompleted.ShouldBeFalse("a claim is outstanding, so the crawl is not finished");

        Time.Advance(TimeSpan.FromSeconds(31));
        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        (await worker.TryLeaseAsync(10, Ct)).Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/one", "/two"]);
    }

    [Fact]
    public async Task AdminSeed_SchedulesStartRequests_Deduplicated()
    {
        var worker = await WorkerAsync("w");
        var admin = await AdminAsync();

        (await admin.SeedAsync([new Request("http://example.com/"), new Request("http://example.com/#top"), new Request("http://example.com/x")], Ct)).ShouldBe(2);
        (await admin.SeedAsync([new Request("http://example.com/x")], Ct)).ShouldBe(0);
        (await worker.GetCountsAsync(Ct)).Pending.ShouldBe(2);
    }

    [Fact]
    public async Task ClusterPause_StopsEveryWorkerLeasing_AndKeepsThemWaiting_UntilResumed()
    {
        var operatorSide = await AdminAsync();
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a")], Ct);

        await operatorSide.PauseAsync(Ct);

        (await operatorSide.IsPausedAsync(Ct)).ShouldBeTrue();
        (await worker.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        worker.IsPaused.ShouldBeTrue("the lease reply says so");
        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse("a paused cluster waits");
        (await StatusAsync()).Paused.ShouldBeTrue();

        await operatorSide.ResumeAsync(Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
        worker.IsPaused.ShouldBeFalse();
        (await worker.TryLeaseAsync(10, Ct)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ClusterPause_OfAFinishedCrawl_IsNotReportedAsFinished_UntilResumed()
    {
        var worker = await WorkerAsync("w");
        var operatorSide = await AdminAsync();
        await operatorSide.PauseAsync(Ct);

        var wait = worker.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(200));
        wait.IsCompleted.ShouldBeFalse();
        await operatorSide.ResumeAsync(Ct);

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
        await b.CompleteAsync([Completion.Retry(lb[0], "timeout", "timed out", Time.GetUtcNow().AddMinutes(1)),
            Completion.Failed(lb[1], "timeout", "timed out")], Ct);

        var status = await StatusAsync();

        status.Spider.ShouldBe(Crawl.Spider);
        status.Counts.ShouldBe(new FrontierCounts(Pending: 1, InProgress: 1, Done: 2, Failed: 2, Skipped: 0));
        status.Delayed.ShouldBe(1);
        status.Items.ShouldBe(1);
        status.LiveWorkers.ShouldBe(2);
        status.Workers.Single(w => w.Id == "worker-a").Done.ShouldBe(2);
        status.Workers.Single(w => w.Id == "worker-b").Leases.ShouldBe(1);
        status.Workers.ShouldAllBe(w => w.ProcessId == Environment.ProcessId);
        status.TopErrors.ShouldBe([new RedisErrorCount("timeout", 2), new RedisErrorCount("http_404", 1)]);
        status.FailedByKind.ShouldBe([new RedisErrorCount("http_404", 1), new RedisErrorCount("timeout", 1)], "each failure once, by its final kind");
        status.RetriesByKind.ShouldBe([new RedisErrorCount("timeout", 1)]);
        status.Retries.ShouldBe(1);
        status.DoneLast5Minutes.ShouldBe(2);
        status.PagesPerSecond.ShouldBeGreaterThan(0);
        status.Dedup.ShouldBe("exact");
        var failed = await Raw.HashGetAllAsync(a.Keys["failed"]);
        failed.Length.ShouldBe(2);
        failed.Select(e => (string)e.Value!).ShouldContain(v => v.Contains("\"kind\":\"http_404\"") && v.Contains("\"status\":404") && v.Contains("http://example.com/"));

        Time.Advance(TimeSpan.FromMinutes(2));
        (await StatusAsync()).LiveWorkers.ShouldBe(0);
        await b.DisposeAsync();
        (await StatusAsync()).Workers.Select(w => w.Id).ShouldBe(["worker-a"]);
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
        (await StatusAsync()).LeasesGranted.ShouldBe(3);
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
        (await StatusAsync()).Dedup.ShouldStartWith("bloom m=");
    }

    [Fact]
    public async Task IsPaused_IsHeardByPubSub_AndAStaleReplyDoesNotUndoIt()
    {
        var operatorSide = await AdminAsync();
        var worker = await WorkerAsync("w");
        await worker.AddAsync([new Request("http://example.com/a")], Ct);
        (await worker.TryLeaseAsync(1, Ct)).Count.ShouldBe(1);
        worker.IsPaused.ShouldBeFalse();

        await operatorSide.PauseAsync(Ct);
        while (!worker.IsPaused)
        {
            await Task.Delay(10, Ct);
        }

        // A state of the epoch before the pause, as a lease reply sent before it but read after it would carry.
        await Raw.StringDecrementAsync(worker.Keys["pause_epoch"]);
        await Raw.KeyDeleteAsync(worker.Keys.Paused);
        (await worker.TryLeaseAsync(1, Ct)).ShouldBeEmpty();
        worker.IsPaused.ShouldBeTrue("an older epoch's state is stale");

        await operatorSide.ResumeAsync(Ct);
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

        var crawls = await RedisCrawlAdmin.ListCrawlsAsync(Crawl.Multiplexer, 0, Ct);

        crawls.ShouldContain(Crawl.Spider);
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

    private Task<RedisCrawlStatus> StatusAsync() => Crawl.StatusAsync(Ct);

    // The operator's side, as the CLI's commands open it, on the test's clock.
    private Task<RedisCrawlAdmin> AdminAsync() => Crawl.AdminAsync(Ct);

    private Task<RedisFrontier> WorkerAsync(string workerId, TimeSpan? lease = null, TimeProvider? time = null, Action<RedisFrontierOptions>? configure = null) =>
        Crawl.WorkerAsync(options =>
        {
            options.WorkerId = workerId;
            options.TimeProvider = time ?? Time;
            options.LeaseDuration = lease ?? TimeSpan.FromMinutes(5);
            configure?.Invoke(options);
        }, Ct);
}
