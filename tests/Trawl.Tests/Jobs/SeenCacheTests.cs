using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>
/// The job's in-memory cache of stored fingerprints: it may drop a link only when the job durably has it, so a cache
/// hit never loses a link, not after a rejected completion, a failed commit or a crash.
/// </summary>
public sealed class SeenCacheTests : JobStoreTestBase
{
    [Fact]
    public async Task CommittedLinks_AreKnown_AndUnseenLinksAreNot()
    {
        var store = await OpenAsync();
        var frontier = store.Frontier;
        await frontier.AddAsync([Req("https://example.com/start")], Ct);
        var lease = (await frontier.TryLeaseAsync(1, Ct)).Single();
        frontier.IsStored(Req("https://example.com/a")).ShouldBeFalse();

        var result = await frontier.CompleteAsync([Completion.Done(lease, 200, [Req("https://example.com/a"), Req("https://example.com/b")], [])], Ct);

        result.Added.ShouldBe(2);
        frontier.IsStored(Req("https://example.com/start")).ShouldBeTrue();
        frontier.IsStored(Req("https://example.com/a")).ShouldBeTrue();
        frontier.IsStored(Req("https://example.com/b")).ShouldBeTrue();
        frontier.IsStored(Req("https://example.com/c")).ShouldBeFalse();
        frontier.IsStored(new Request("https://example.com/a") { DontFilter = true }).ShouldBeFalse();
    }

    [Fact]
    public async Task KnownLinks_AreDropped_AndEveryUnseenLinkIsStillScheduled()
    {
        var store = await OpenAsync();
        var frontier = store.Frontier;
        await frontier.AddAsync([Req("https://example.com/0")], Ct);

        // A chain of pages, each linking back to every page before it and to one new page.
        for (var page = 0; page < 20; page++)
        {
            var lease = (await frontier.TryLeaseAsync(1, Ct)).Single();
            lease.Request.Url.ShouldBe(new Uri($"https://example.com/{page}"));
            var links = Enumerable.Range(0, page + 2).Select(i => Req($"https://example.com/{i}")).ToList();
            var result = await frontier.CompleteAsync([Completion.Done(lease, 200, links, [])], Ct);
            result.Added.ShouldBe(1);
        }

        var counts = await frontier.GetCountsAsync(Ct);
        counts.Done.ShouldBe(20);
        counts.Pending.ShouldBe(1);
        frontier.SeenCacheCount.ShouldBe(21);
    }

    [Fact]
    public async Task LinksOfARejectedCompletion_AreNotCached_AndAreAddedLater()
    {
        var store = await OpenAsync();
        var frontier = store.Frontier;
        await frontier.AddAsync([Req("https://example.com/start")], Ct);
        var lease = (await frontier.TryLeaseAsync(1, Ct)).Single();
        await frontier.ReleaseAsync([lease], Ct);

        // The lease was released, so this completion is rejected and its links are not stored.
        var stale = await frontier.CompleteAsync([Completion.Done(lease, 200, [Req("https://example.com/x")], [])], Ct);

        stale.Accepted.ShouldBe([false]);
        frontier.IsStored(Req("https://example.com/x")).ShouldBeFalse();
        var fresh = (await frontier.TryLeaseAsync(1, Ct)).Single();
        var result = await frontier.CompleteAsync([Completion.Done(fresh, 200, [Req("https://example.com/x")], [])], Ct);
        result.Added.ShouldBe(1);
    }

    [Fact]
    public async Task LinksOfAFailedCommit_AreNotCached_AndTheRetriedBatchAddsThem()
    {
        var store = await OpenAsync();
        var frontier = store.Frontier;
        await frontier.AddAsync([Req("https://example.com/start")], Ct);
        var lease = (await frontier.TryLeaseAsync(1, Ct)).Single();
        await ExecuteAsync(store, "CREATE TRIGGER refuse BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;");
        var batch = new[] { Completion.Done(lease, 200, [Req("https://example.com/x")], [Item("x")]) };

        await Should.ThrowAsync<Microsoft.Data.Sqlite.SqliteException>(async () => await frontier.CompleteAsync(batch, Ct));

        frontier.IsStored(Req("https://example.com/x")).ShouldBeFalse();
        await ExecuteAsync(store, "DROP TRIGGER refuse;");
        var result = await frontier.CompleteAsync(batch, Ct);
        result.Added.ShouldBe(1);
        frontier.IsStored(Req("https://example.com/x")).ShouldBeTrue();
    }

    [Fact]
    public async Task AfterACrash_TheCacheStartsEmpty_AndResumeSchedulesEveryLinkOnce()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/start")], Ct);
        var lease = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        await store.Frontier.CompleteAsync([Completion.Done(lease, 200, [Req("https://example.com/a"), Req("https://example.com/b")], [])], Ct);
        var inFlight = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        inFlight.Request.Url.ShouldBe(new Uri("https://example.com/a"));
        await JobCrash.SimulateAsync(store);

        var reopened = await OpenAsync();
        var frontier = reopened.Frontier;
        frontier.SeenCacheCount.ShouldBe(0);
        var leased = new List<string>();
        while ((await frontier.TryLeaseAsync(1, Ct)) is [var next])
        {
            leased.Add(next.Request.Url.AbsolutePath);
            var links = new[] { Req("https://example.com/a"), Req("https://example.com/b"), Req("https://example.com/c") };
            await frontier.CompleteAsync([Completion.Done(next, 200, links, [])], Ct);
        }

        leased.ShouldBe(["/a", "/b", "/c"]);
        (await frontier.GetCountsAsync(Ct)).Done.ShouldBe(4);
    }

    [Fact]
    public async Task ACacheOfSizeZero_KnowsNothing_AndDedupStillHolds()
    {
        var store = await OpenAsync(o => o.SeenCacheSize = 0);
        var frontier = store.Frontier;

        (await frontier.AddAsync([Req("https://example.com/a")], Ct)).ShouldBe(1);
        (await frontier.AddAsync([Req("https://example.com/a")], Ct)).ShouldBe(0);
        frontier.IsStored(Req("https://example.com/a")).ShouldBeFalse();
        frontier.SeenCacheCount.ShouldBe(0);
    }

    [Fact]
    public void Cache_StaysWithinItsCapacity_AndKeepsTheNewestFingerprints()
    {
        var cache = new StoredFingerprints(capacity: 8);

        cache.AddStored([.. Enumerable.Range(0, 100).Select(i => Req($"https://example.com/{i}"))]);

        cache.Count.ShouldBeLessThanOrEqualTo(8);
        cache.Contains(Req("https://example.com/99")).ShouldBeTrue();
        cache.Contains(Req("https://example.com/0")).ShouldBeFalse();
    }

    [Fact]
    public void NegativeSize_IsRefused_NamingTheOption()
    {
        var ex = Should.Throw<ArgumentException>(() => new JobStoreOptions { SeenCacheSize = -1 }.Validate());

        ex.ParamName.ShouldBe(nameof(JobStoreOptions.SeenCacheSize));
    }

    private static Task<int> ExecuteAsync(JobStore store, string sql) => store.RunForTestsAsync(db =>
    {
        using var command = db.Connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }).AsTask();
}
