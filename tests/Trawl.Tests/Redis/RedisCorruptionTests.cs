using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>
/// Damaged data in a crawl's keys (issue 16, bug 5), on a real redis-server. Every script checks what it computes with
/// before relying on it: a malformed entry is set aside in the <c>corrupt</c> list with its raw values, a counter that
/// holds no integer is set aside and restarted, and the call goes on with everything else, applied whole.
/// </summary>
public sealed class RedisCorruptionTests(RedisServerFixture fixture) : RedisCrawlTestBase("bad", fakeClock: true), IClassFixture<RedisServerFixture>
{
    private const string Second = "000000000000002";
    private readonly CapturingLoggerProvider _logs = new();

    protected override Task<RedisServer> ServerAsync() => Task.FromResult(fixture.Server);

    [Fact]
    public async Task Lease_OfAMalformedEntry_SetsItAsideWithItsRawValues_AndLeasesTheOthers()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a", "b", "c");
        await Raw.HashSetAsync(Key("entries"), Second, "notanumber xx");

        var leases = await worker.TryLeaseAsync(10, Ct);

        leases.Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/a", "/c"]);
        var record = await SingleCorruptAsync();
        record["key"]!.GetValue<string>().ShouldBe("entries");
        record["field"]!.GetValue<string>().ShouldBe(Second);
        record["value"]!.GetValue<string>().ShouldBe("notanumber xx");
        record["request"]!.GetValue<string>().ShouldContain("http://example.com/b");
        record["worker"]!.GetValue<string>().ShouldBe("w");
        (await Raw.HashExistsAsync(Key("requests"), Second)).ShouldBeFalse("set aside: in no other key");
        (await Raw.HashExistsAsync(Key("entries"), Second)).ShouldBeFalse();
        (await worker.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 0, InProgress: 2, Done: 0, Failed: 0, Skipped: 0));
        var status = await StatusAsync();
        status.Corrupt.ShouldBe(1);
        status.CorruptRecords.ShouldHaveSingleItem().Value.ShouldBe("notanumber xx");
        _logs.Entries.ShouldContain(e => e.Id.Id == 3015);
    }

    [Theory]
    [InlineData("no entries value")]
    [InlineData("no request")]
    [InlineData("a priority out of range")]
    [InlineData("a request that is not JSON")]
    [InlineData("a request without a URL")]
    public async Task Lease_OfAnEntryDamagedAnyOtherWay_SetsItAside_AndLeasesTheOthers(string damage)
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a", "b", "c");
        await (damage switch
        {
            "no entries value" => Raw.HashDeleteAsync(Key("entries"), Second),
            "no request" => Raw.HashDeleteAsync(Key("requests"), Second),
            "a priority out of range" => Raw.HashSetAsync(Key("entries"), Second, "99999999999999999999 0"),
            "a request that is not JSON" => Raw.HashSetAsync(Key("requests"), Second, "garbage"),
            _ => Raw.HashSetAsync(Key("requests"), Second, "{\"method\":\"GET\"}"),
        });

        var leases = await worker.TryLeaseAsync(10, Ct);

        leases.Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/a", "/c"]);
        (await SingleCorruptAsync())["field"]!.GetValue<string>().ShouldBe(Second);
        (await worker.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 0, InProgress: 2, Done: 0, Failed: 0, Skipped: 0));
        (await worker.TryLeaseAsync(10, Ct)).ShouldBeEmpty("nothing is left behind to trip over again");
    }

    [Fact]
    public async Task Lease_OfAStrayIdInPending_SetsItAside()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a");
        await Raw.SortedSetAddAsync(Key("pending"), "not-an-id", -100);

        (await worker.TryLeaseAsync(10, Ct)).ShouldHaveSingleItem().Request.Url.AbsolutePath.ShouldBe("/a");

        (await SingleCorruptAsync())["reason"]!.GetValue<string>().ShouldBe("not an entry id");
    }

    [Fact]
    public async Task RestartedWorker_WhoseOldLeasesHoldAMalformedEntry_TakesBackTheOthers_AndSetsItAside()
    {
        // The issue's second symptom: reclaim_worker.lua failed on the damaged entry, half-way, losing it.
        var first = await WorkerAsync("w", lease: TimeSpan.FromMinutes(5));
        await AddAsync(first, "a", "b", "c");
        (await first.TryLeaseAsync(10, Ct)).Count.ShouldBe(3);
        await Raw.HashSetAsync(Key("entries"), Second, "notanumber xx");

        var restarted = await WorkerAsync("w", lease: TimeSpan.FromMinutes(5));

        (await restarted.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 2, InProgress: 0, Done: 0, Failed: 0, Skipped: 0));
        (await SingleCorruptAsync())["field"]!.GetValue<string>().ShouldBe(Second);
        (await restarted.TryLeaseAsync(10, Ct)).Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/a", "/c"]);
    }

    [Theory]
    [InlineData("an expired lease")]
    [InlineData("a released lease")]
    [InlineData("a retry falling due")]
    public async Task AMalformedEntry_GoingBackToPending_IsSetAside(string way)
    {
        var worker = await WorkerAsync("w", lease: TimeSpan.FromSeconds(30));
        var other = await WorkerAsync("other", lease: TimeSpan.FromSeconds(30));
        await AddAsync(worker, "a", "b");
        var leases = await worker.TryLeaseAsync(10, Ct);
        if (way == "a retry falling due")
        {
            await worker.CompleteAsync([Completion.Retry(leases[1], "timeout", "timed out", Time.GetUtcNow().AddSeconds(5))], Ct);
        }

        await Raw.HashSetAsync(Key("entries"), Second, "notanumber xx");
        if (way == "a released lease")
        {
            await worker.ReleaseAsync([leases[1]], Ct);
        }
        else
        {
            Time.Advance(TimeSpan.FromSeconds(31));
        }

        var again = await other.TryLeaseAsync(10, Ct);

        again.ShouldNotContain(l => l.Request.Url.AbsolutePath == "/b");
        (await SingleCorruptAsync())["field"]!.GetValue<string>().ShouldBe(Second);
        (await Raw.SortedSetScoreAsync(Key("pending"), Second)).ShouldBeNull();
        (await Raw.SortedSetScoreAsync(Key("delayed"), Second)).ShouldBeNull();
        (await Raw.SortedSetScoreAsync(Key("leases"), Second)).ShouldBeNull();
    }

    [Theory]
    [InlineData("retry")]
    [InlineData("failure")]
    public async Task Completion_ThatNeedsAMalformedEntry_SetsItAside_AndTheRestOfTheBatchIsApplied(string outcome)
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a", "b");
        var leases = await worker.TryLeaseAsync(10, Ct);
        await Raw.HashSetAsync(Key("entries"), Second, "notanumber xx");
        var bad = outcome == "retry"
            ? Completion.Retry(leases[1], "timeout", "timed out", Time.GetUtcNow().AddSeconds(5))
            : Completion.Failed(leases[1], "http_404", "Not Found", 404);

        var result = await worker.CompleteAsync([Completion.Done(leases[0], 200, [new Request("http://example.com/found")], [Item(1)]), bad], Ct);

        result.Accepted.ShouldBe([true, false]);
        result.Items.ShouldHaveSingleItem();
        (await worker.ReadItemsAsync(0, 10, Ct)).ShouldHaveSingleItem().Sequence.ShouldBe(result.Items[0].Sequence);
        (await worker.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 1, InProgress: 0, Done: 1, Failed: 0, Skipped: 0));
        (await SingleCorruptAsync())["field"]!.GetValue<string>().ShouldBe(Second);
        (await StatusAsync()).TopErrors.ShouldBeEmpty("the damaged entry's outcome was not applied");
    }

    [Fact]
    public async Task Completion_Done_OfAMalformedEntry_IsCommitted_ItNeedsNothingFromIt()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a");
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();
        await Raw.HashSetAsync(Key("entries"), "000000000000001", "notanumber xx");

        (await worker.CompleteAsync([Completion.Done(lease, 200, [], [Item(1)])], Ct)).Accepted.ShouldBe([true]);

        (await Raw.ListLengthAsync(Key("corrupt"))).ShouldBe(0);
        (await Raw.HashLengthAsync(Key("entries"))).ShouldBe(0);
    }

    [Fact]
    public async Task DamagedCounters_AreSetAsideAndRestarted_AndTheBatchIsStillAppliedWhole_WithNoIdGivenTwice()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a", "b");
        var minute = (Time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000).ToString(CultureInfo.InvariantCulture);
        await Raw.StringSetAsync(Key("tokens"), "t");
        await Raw.StringSetAsync(Key("seq"), "s");
        await Raw.StringSetAsync(Key("item_seq"), "i");
        await Raw.HashSetAsync(Key("stats"), [new HashEntry("done", "d"), new HashEntry("leased", "l")]);
        await Raw.HashSetAsync(Key("errors"), "timeout", "e");
        await Raw.HashSetAsync(Key("rate"), minute, "r");
        await Raw.HashSetAsync(Key("worker_done"), "w", "w");

        var leases = await worker.TryLeaseAsync(10, Ct);
        var result = await worker.CompleteAsync(
        [
            Completion.Done(leases[0], 200, [new Request("http://example.com/c")], [Item(1), Item(2)]),
            Completion.Retry(leases[1], "timeout", "timed out", Time.GetUtcNow().AddSeconds(5)),
        ], Ct);

        leases.Count.ShouldBe(2);
        leases[0].Token.ShouldNotBe(leases[1].Token);
        result.Accepted.ShouldBe([true, true]);
        result.Added.ShouldBe(1);
        (await worker.ReadItemsAsync(0, 10, Ct)).Select(i => i.Sequence).ShouldBe(result.Items.Select(i => i.Sequence));
        (await Raw.HashLengthAsync(Key("requests"))).ShouldBe(2, "the new request did not take the retried one's id");
        (await worker.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 2, InProgress: 0, Done: 1, Failed: 0, Skipped: 0));
        var status = await StatusAsync();
        status.Counts.Done.ShouldBe(1);
        status.TopErrors.ShouldBe([new RedisErrorCount("timeout", 1)]);
        status.Workers.Single(w => w.Id == "w").Done.ShouldBe(1);
        status.CorruptRecords.Select(r => r.Field ?? r.Key).ShouldBe(["tokens", "leased", "seq", "item_seq", "done", "timeout", minute, "w"], ignoreOrder: true);
    }

    [Fact]
    public async Task ItemCounter_BehindTheItemStream_IsMovedPastIt_SoNoItemIsRefusedHalfWay()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a");
        await Raw.ExecuteAsync("XADD", Key("items"), "500-0", "note", "added by hand");
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();

        var result = await worker.CompleteAsync([Completion.Done(lease, 200, [], [Item(1)])], Ct);

        result.Accepted.ShouldBe([true]);
        result.Items.ShouldHaveSingleItem().Sequence.ShouldBe(501);
        (await worker.ReadItemsAsync(0, 10, Ct)).ShouldHaveSingleItem().Sequence.ShouldBe(501, "an entry without an item is passed over");
        (await SingleCorruptAsync())["key"]!.GetValue<string>().ShouldBe("item_seq");
    }

    [Fact]
    public async Task PauseEpoch_Damaged_IsRestarted_AndPauseAndResumeStillReachTheWorkers()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a");
        await Raw.StringSetAsync(Key("pause_epoch"), "p");
        var admin = await AdminAsync();

        await admin.PauseAsync(Ct);
        (await worker.TryLeaseAsync(1, Ct)).ShouldBeEmpty();
        worker.IsPaused.ShouldBeTrue();
        await admin.ResumeAsync(Ct);

        (await worker.TryLeaseAsync(1, Ct)).ShouldHaveSingleItem();
        worker.IsPaused.ShouldBeFalse();
        (await SingleCorruptAsync())["key"]!.GetValue<string>().ShouldBe("pause_epoch");
    }

    [Fact]
    public async Task Status_WithDamagedCounts_ReadsThemAsZero_AndLeavesThemOut()
    {
        var worker = await WorkerAsync("w");
        await Raw.HashSetAsync(Key("stats"), "failed", "x");
        await Raw.HashSetAsync(Key("errors"), [new HashEntry("broken", "y"), new HashEntry("timeout", "3")]);
        await Raw.HashSetAsync(Key("rate"), "not-a-minute", "4");
        await Raw.HashSetAsync(Key("worker_done"), "w", "z");
        await Raw.StringSetAsync(Key("item_seq"), "q");

        var status = await StatusAsync();

        status.Counts.Failed.ShouldBe(0);
        status.Items.ShouldBe(0);
        status.TopErrors.ShouldBe([new RedisErrorCount("timeout", 3)]);
        status.DoneLast5Minutes.ShouldBe(0);
        (await worker.GetCountsAsync(Ct)).Failed.ShouldBe(0);
    }

    [Theory]
    [InlineData("dedup", "sometimes")]
    [InlineData("bloom_bits", "many")]
    [InlineData("bloom_bits", "5")]
    public async Task DamagedConfig_IsRefused_NamingIt_NotAdopted(string field, string value)
    {
        await WorkerAsync("first", configure: o => o.Dedup = RedisDedup.Bloom);
        await Raw.HashSetAsync(Key("config"), field, value);

        var ex = await Should.ThrowAsync<InvalidOperationException>(() => WorkerAsync("second"));

        ex.Message.ShouldContain($"Crawl '{Crawl.Spider}'");
        ex.Message.ShouldContain("damaged config");
        ex.Message.ShouldContain(Key("config"));
    }

    [Fact]
    public async Task DamagedGlobalLimits_ReadAsNoLimit_AsTheyAreApplied()
    {
        var worker = await WorkerAsync("w");
        await Raw.HashSetAsync(Key("config"), [new HashEntry("global_rate", "inf"), new HashEntry("global_burst", "0x10"), new HashEntry("global_concurrency", "nan")]);

        var limiter = await RedisDomainLimiter.OpenAsync(worker, TimeSpan.FromMinutes(2), Ct);

        limiter.ShouldNotBeNull();
        limiter.Limits.ShouldBe(new RedisDomainLimits(0, 1, 0));
        (await limiter.TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeTrue();
    }

    [Fact]
    public async Task DamagedExportCheckpoint_ReadsAsNone_SoTheOutputIsWrittenAgainWhole()
    {
        var worker = await WorkerAsync("w", configure: o => o.ItemShare = "host:/out.jsonl");
        await Raw.HashSetAsync(Key("exports"), "host:/out.jsonl|/out.jsonl", "twelve 3");

        (await worker.GetExportCheckpointAsync("/out.jsonl", Ct)).ShouldBe(default);

        _logs.Entries.ShouldContain(e => e.Id.Id == 3016);
    }

    [Fact]
    public async Task DamagedLeaseMemo_IsForgotten_AndTheCallLeasesAfresh()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a", "b");
        await Raw.StringSetAsync(Key("op:lease-1"), "not a memo");

        (await worker.TryLeaseAsync(2, "lease-1", acknowledge: false, Ct)).Count.ShouldBe(2);
    }

    [Fact]
    public async Task Failure_OfARequestDamagedWhileLeased_IsRecordedAsValidJson()
    {
        var worker = await WorkerAsync("w");
        await AddAsync(worker, "a");
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();
        await Raw.HashSetAsync(Key("requests"), "000000000000001", "not json");

        await worker.CompleteAsync([Completion.Failed(lease, "http_500", "Server Error", 500)], Ct);

        var failed = JsonNode.Parse((string)(await Raw.HashGetAsync(Key("failed"), "000000000000001"))!)!;
        failed["request"]!.GetValue<string>().ShouldBe("not json");
        failed["kind"]!.GetValue<string>().ShouldBe("http_500");
    }

    private static byte[] Item(int n) => Encoding.UTF8.GetBytes($"{{\"n\":{n}}}");

    private static Task AddAsync(RedisFrontier worker, params string[] paths) =>
        worker.AddAsync([.. paths.Select(path => new Request($"http://example.com/{path}"))], CancellationToken.None).AsTask();

    private async Task<JsonNode> SingleCorruptAsync()
    {
        var records = await Raw.ListRangeAsync(Key("corrupt"));
        return JsonNode.Parse((string)records.ShouldHaveSingleItem()!)!;
    }

    private string Key(string name) => Crawl.Key(name);

    private Task<RedisCrawlStatus> StatusAsync() => Crawl.StatusAsync(Ct);

    private Task<RedisCrawlAdmin> AdminAsync() => Crawl.AdminAsync(Ct);

    private Task<RedisFrontier> WorkerAsync(string workerId, TimeSpan? lease = null, Action<RedisFrontierOptions>? configure = null) =>
        Crawl.WorkerAsync(options =>
        {
            options.WorkerId = workerId;
            options.LeaseDuration = lease ?? TimeSpan.FromMinutes(5);
            options.LoggerFactory = _logs;
            configure?.Invoke(options);
        }, Ct);
}
