using System.Diagnostics;
using System.Text;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>
/// Worker liveness on a fake clock: a worker that stops beating has its leases taken back by the next worker that leases,
/// long before they expire; a worker that beats keeps its leases however long it takes over them.
/// </summary>
public sealed class RedisLivenessTests(RedisServerFixture fixture) : RedisCrawlTestBase("live", fakeClock: true), IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Beat = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(12);

    protected override Task<RedisServer> ServerAsync() => Task.FromResult(fixture.Server);

    [Fact]
    public async Task AWorkerThatStopsBeating_HasItsLeasesTakenBack_LongBeforeTheyExpire()
    {
        var dead = await WorkerAsync("dead");
        var survivor = await WorkerAsync("survivor");
        await dead.AddAsync([new Request("http://example.com/a"), new Request("http://example.com/b"), new Request("http://example.com/c")], Ct);
        var leases = await dead.TryLeaseAsync(10, Ct);
        leases.Count.ShouldBe(3);
        (await survivor.TryLeaseAsync(10, Ct)).ShouldBeEmpty();

        // Killed: no beat any more, and no goodbye.
        await dead.StopBeatingAsync();
        Time.Advance(Timeout + TimeSpan.FromSeconds(1));
        var taken = await survivor.TryLeaseAsync(10, Ct);

        taken.Select(l => l.EntryId).ShouldBe(leases.Select(l => l.EntryId), ignoreOrder: true);
        taken.ShouldAllBe(l => l.Attempt == 1, "taking a dead worker's lease back counts no attempt");
        (await Crawl.StatusAsync(Ct)).Workers.Select(w => w.Id).ShouldBe(["survivor"], "a dead worker leaves the live workers");
        var late = await dead.CompleteAsync([Completion.Done(leases[0], 200, [], [Encoding.UTF8.GetBytes("{\"late\":1}")])], Ct);
        late.Accepted.ShouldBe([false], "the dead worker's completion comes too late: its lease is someone else's");
        (await survivor.CompleteAsync([.. taken.Select(l => Completion.Done(l, 200, [], [Encoding.UTF8.GetBytes("{\"ok\":1}")]))], Ct)).Accepted.ShouldAllBe(a => a);
        var status = await Crawl.StatusAsync(Ct);
        status.LeasesReclaimed.ShouldBe(3);
        status.LeasesExpired.ShouldBe(0, "none waited for its lease deadline (5 minutes)");
        status.Items.ShouldBe(3);
    }

    [Fact]
    public async Task ALiveWorker_KeepsItsLeases_HoweverLongItTakesOverThem()
    {
        var slow = await WorkerAsync("slow");
        var other = await WorkerAsync("other");
        await slow.AddAsync([new Request("http://example.com/slow-1"), new Request("http://example.com/slow-2")], Ct);
        var leases = await slow.TryLeaseAsync(10, Ct);
        leases.Count.ShouldBe(2);

        // A minute of slow downloads, five liveness timeouts long, with no lease renewed: only the beat goes on.
        for (var i = 0; i < 15; i++)
        {
            Time.Advance(Beat);
            await BeatenAsync(slow);
            (await other.TryLeaseAsync(10, Ct)).ShouldBeEmpty($"after {(i + 1) * Beat.TotalSeconds} s the slow worker still holds its leases");
        }

        (await slow.RenewLeasesAsync(leases, Ct)).ShouldBe(2);
        (await Crawl.StatusAsync(Ct)).LeasesReclaimed.ShouldBe(0);
    }

    [Fact]
    public async Task WithLivenessOff_ADeadWorkersLeases_ComeBackOnlyAsTheyExpire()
    {
        var dead = await WorkerAsync("dead", liveness: System.Threading.Timeout.InfiniteTimeSpan);
        var survivor = await WorkerAsync("survivor", liveness: System.Threading.Timeout.InfiniteTimeSpan);
        await dead.AddAsync([new Request("http://example.com/off")], Ct);
        (await dead.TryLeaseAsync(10, Ct)).Count.ShouldBe(1);
        (await Raw.KeyExistsAsync(Crawl.Key("alive"))).ShouldBeFalse("no beat is kept");

        Time.Advance(Timeout + TimeSpan.FromSeconds(1));
        (await survivor.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        Time.Advance(TimeSpan.FromMinutes(5));
        (await survivor.TryLeaseAsync(10, Ct)).Count.ShouldBe(1);
        var status = await Crawl.StatusAsync(Ct);
        status.LeasesExpired.ShouldBe(1);
        status.LeasesReclaimed.ShouldBe(0);
    }

    [Fact]
    public void Liveness_IsValidated()
    {
        Should.Throw<ArgumentException>(() => new RedisFrontierOptions { LivenessInterval = TimeSpan.FromSeconds(10), LivenessTimeout = TimeSpan.FromSeconds(15) }.Validate())
            .Message.ShouldContain("LivenessTimeout");
        Should.Throw<ArgumentException>(() => new RedisFrontierOptions { LivenessInterval = TimeSpan.Zero }.Validate()).Message.ShouldContain("LivenessInterval");
        new RedisFrontierOptions { LivenessInterval = TimeSpan.Zero, LivenessTimeout = System.Threading.Timeout.InfiniteTimeSpan }.Validate();
    }

    // Waits until the worker's beat for the clock's present time is in Redis: the beat runs on a timer of its own.
    private async Task BeatenAsync(RedisFrontier worker)
    {
        var due = (Time.GetUtcNow() + Timeout).ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        while ((await Raw.SortedSetScoreAsync(Crawl.Key("alive"), worker.WorkerId) ?? 0) < due)
        {
            clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30), "the worker's beat never came");
            await Task.Delay(10, Ct);
        }
    }

    private Task<RedisFrontier> WorkerAsync(string workerId, TimeSpan? liveness = null) =>
        Crawl.WorkerAsync(options =>
        {
            options.WorkerId = workerId;
            options.LeaseDuration = TimeSpan.FromMinutes(5);
            options.LivenessInterval = Beat;
            options.LivenessTimeout = liveness ?? Timeout;
        }, Ct);
}
