using System.Text;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>
/// The cluster admin, what <c>trawl seed/pause/resume/status/export</c> open: it acts on a crawl without being one of its
/// workers, and without recording anything the crawl did not have.
/// </summary>
public sealed class RedisCrawlAdminTests(RedisServerFixture fixture) : RedisCrawlTestBase("admin", fakeClock: false), IClassFixture<RedisServerFixture>
{
    protected override Task<RedisServer> ServerAsync() => Task.FromResult(fixture.Server);

    [Fact]
    public async Task Admin_IsNoWorker_ItsSeedsPausesAndReadsLeaveNoWorkerBehind()
    {
        var admin = await AdminAsync();

        (await admin.SeedAsync([new Request("http://example.com/a")], Ct)).ShouldBe(1);
        await admin.PauseAsync(Ct);
        (await admin.IsPausedAsync(Ct)).ShouldBeTrue();
        await admin.ResumeAsync(Ct);
        (await admin.IsFinishedAsync(Ct)).ShouldBeFalse("a seed is pending");
        var status = await admin.GetStatusAsync(Ct);

        status.Workers.ShouldBeEmpty();
        status.Counts.Pending.ShouldBe(1);
        (await Raw.HashLengthAsync($"trawl:{Crawl.Spider}:worker_info")).ShouldBe(0);
    }

    [Fact]
    public async Task Admin_OfACrawlThatIsOnlySeeds_ReadsIt_WithoutRecordingAConfig()
    {
        await Raw.ListLeftPushAsync($"trawl:{Crawl.Spider}:start_urls", "http://example.com/");
        var admin = await AdminAsync();

        var status = await admin.GetStatusAsync(Ct);
        (await admin.IsPausedAsync(Ct)).ShouldBeFalse();

        status.SeedsWaiting.ShouldBe(1);
        (await Raw.KeyExistsAsync($"trawl:{Crawl.Spider}:config")).ShouldBeFalse("reading a crawl changes nothing in it");
    }

    [Fact]
    public async Task Admin_SeedingANewCrawl_RecordsItsConfigWithAnEpoch_WhichItsWorkersAdopt()
    {
        var admin = await AdminAsync();
        await admin.SeedAsync([new Request("http://example.com/a")], Ct);
        var epoch = (string?)await Raw.HashGetAsync($"trawl:{Crawl.Spider}:config", "epoch");
        epoch.ShouldNotBeNullOrEmpty();

        var worker = await WorkerAsync(RedisDedup.Bloom);

        worker.Dedup.ShouldBe(RedisDedup.Exact, "the seeded crawl recorded exact dedup, and the worker adopts it");
        ((string?)await Raw.HashGetAsync($"trawl:{Crawl.Spider}:config", "epoch")).ShouldBe(epoch);
        (await worker.TryLeaseAsync(10, Ct)).Single().Request.Url.AbsolutePath.ShouldBe("/a");
        (await admin.SeedAsync([new Request("http://example.com/a"), new Request("http://example.com/b")], Ct)).ShouldBe(1, "deduplicated as the workers do");
    }

    [Fact]
    public async Task Admin_ReadsTheWholeItemLog_AndKeepsItsExportCheckpointsApartFromTheWorkers()
    {
        var worker = await WorkerAsync(share: "host:/mine.jsonl");
        var admin = await AdminAsync();
        await worker.AddAsync([new Request("http://example.com/a")], Ct);
        var lease = (await worker.TryLeaseAsync(1, Ct)).Single();
        await worker.CompleteAsync([Completion.Done(lease, 200, [], [Encoding.UTF8.GetBytes("{\"n\":1}")])], Ct);

        await admin.Items.SetExportCheckpointAsync("/out.jsonl", new ExportCheckpoint(1, 8), Ct);

        (await admin.Items.ReadItemsAsync(0, 10, Ct)).ShouldHaveSingleItem();
        (await admin.Items.GetExportCheckpointAsync("/out.jsonl", Ct)).ShouldBe(new ExportCheckpoint(1, 8));
        ((string?)await Raw.HashGetAsync($"trawl:{Crawl.Spider}:exports", $"export:{Environment.MachineName}|/out.jsonl")).ShouldBe("1 8");
        (await worker.GetExportCheckpointAsync("/out.jsonl", Ct)).ShouldBe(default, "a worker's checkpoints are its own");
        (await admin.WaitToReadItemsAsync(0, Ct)).ShouldBeTrue();
        (await admin.WaitToReadItemsAsync(1, Ct)).ShouldBeFalse("the crawl is finished, with no item after the first");
    }

    private Task<RedisCrawlAdmin> AdminAsync() => Crawl.AdminAsync(Ct);

    private Task<RedisFrontier> WorkerAsync(RedisDedup dedup = RedisDedup.Exact, string? share = null) =>
        Crawl.WorkerAsync(options =>
        {
            options.Dedup = dedup;
            options.ItemShare = share;
        }, Ct);
}
