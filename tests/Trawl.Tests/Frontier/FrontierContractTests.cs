using System.Text;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Frontier;

/// <summary>
/// What every frontier must do. Each implementation subclasses this and supplies a new, empty frontier per call.
/// </summary>
/// <remarks>
/// Time is a <see cref="FakeTimeProvider"/>, moved only by the tests. Waits that must end are bounded by a generous
/// timeout so a broken frontier fails the test instead of hanging it; nothing asserts on how long anything takes.
/// </remarks>
public abstract class FrontierContractTests : IDisposable
{
    /// <summary>Long enough that no test expires a lease by accident.</summary>
    protected static readonly TimeSpan LongLease = TimeSpan.FromHours(1);

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    protected FakeTimeProvider Time { get; } = new();

    /// <summary>Cancelled if a test runs far too long, so a wait that never ends fails instead of hanging.</summary>
    protected CancellationToken Ct => _timeout.Token;

    /// <summary>Creates a new, empty frontier whose leases last <paramref name="leaseDuration"/>.</summary>
    protected abstract ValueTask<IFrontier> CreateFrontierAsync(TimeProvider time, TimeSpan leaseDuration);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timeout.Dispose();
        }
    }

    protected ValueTask<IFrontier> CreateAsync(TimeSpan? leaseDuration = null) => CreateFrontierAsync(Time, leaseDuration ?? LongLease);

    protected static Request Req(string url, int priority = 0, bool dontFilter = false) =>
        new(url) { Priority = priority, DontFilter = dontFilter };

    protected static byte[] Item(string value) => Encoding.UTF8.GetBytes($"{{\"v\":\"{value}\"}}");

    protected static string Text(byte[] json) => Encoding.UTF8.GetString(json);

    protected static Completion Done(Lease lease, IReadOnlyList<Request>? discovered = null, params string[] items) =>
        Completion.Done(lease, 200, discovered ?? [], items.Select(Item).ToArray());

    protected async Task<IReadOnlyList<Lease>> LeaseAllAsync(IFrontier frontier, int max = 1000)
    {
        var leases = await frontier.TryLeaseAsync(max, Ct);
        return leases;
    }

    protected async Task<Lease> LeaseOneAsync(IFrontier frontier)
    {
        var leases = await frontier.TryLeaseAsync(1, Ct);
        leases.Count.ShouldBe(1);
        return leases[0];
    }

    protected async Task<CompletionResult> CompleteAsync(IFrontier frontier, params Completion[] completions) =>
        await frontier.CompleteAsync(completions, Ct);

    /// <summary>Waits for a task that must end; the bound only turns a hang into a failure.</summary>
    protected static async Task<T> Within<T>(ValueTask<T> task) => await task.AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Gives a wait that must not end a chance to end wrongly, then checks it has not.</summary>
    protected static async Task ShouldStillBeWaiting(Task task)
    {
        await Task.WhenAny(task, Task.Delay(100));
        task.IsCompleted.ShouldBeFalse("the wait ended although nothing could be leased and the frontier was not exhausted");
    }

    // ---- Adding and deduplication ------------------------------------------------------------------------------------

    [Fact]
    public async Task Add_ReturnsHowManyWereNew()
    {
        await using var frontier = await CreateAsync();

        (await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b")], Ct)).ShouldBe(2);
        (await frontier.AddAsync([Req("http://example.com/b"), Req("http://example.com/c")], Ct)).ShouldBe(1);

        (await frontier.GetCountsAsync(Ct)).Pending.ShouldBe(3);
    }

    [Fact]
    public async Task Add_DropsTheSameUrlModuloCanonicalization()
    {
        await using var frontier = await CreateAsync();

        var added = await frontier.AddAsync(
            [Req("http://example.com/p?b=2&a=1"), Req("HTTP://EXAMPLE.com:80/p?a=1&b=2#top"), Req("http://example.com/p?a=1&b=2")],
            Ct);

        added.ShouldBe(1);
        (await frontier.GetCountsAsync(Ct)).Pending.ShouldBe(1);
    }

    [Fact]
    public async Task Add_KeepsRequestsThatDifferInMethodOrBody()
    {
        await using var frontier = await CreateAsync();

        var added = await frontier.AddAsync(
            [
                Req("http://example.com/form"),
                new Request("http://example.com/form") { Method = "POST", Body = [1] },
                new Request("http://example.com/form") { Method = "POST", Body = [2] },
            ],
            Ct);

        added.ShouldBe(3);
    }

    [Fact]
    public async Task Add_DontFilter_BypassesDeduplication()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);

        var added = await frontier.AddAsync([Req("http://example.com/a", dontFilter: true), Req("http://example.com/a", dontFilter: true)], Ct);

        added.ShouldBe(2);
        (await frontier.GetCountsAsync(Ct)).Pending.ShouldBe(3);
    }

    [Fact]
    public async Task Discovered_AreDeduplicatedAgainstEverythingSeen()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/pending")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var result = await CompleteAsync(frontier, Done(lease,
        [
            Req("http://example.com/a"), // in progress (being completed)
            Req("http://example.com/pending"), // still pending
            Req("http://example.com/new"),
            Req("http://example.com/new"), // twice in one completion
            Req("http://example.com/a", dontFilter: true),
        ]));

        result.Added.ShouldBe(2);
        var counts = await frontier.GetCountsAsync(Ct);
        counts.Pending.ShouldBe(3);
        counts.Done.ShouldBe(1);

        var laterLease = (await LeaseAllAsync(frontier)).Single(l => l.Request.Url.AbsolutePath == "/new");
        var later = await CompleteAsync(frontier, Done(laterLease, [Req("http://example.com/new"), Req("http://example.com/a")]));
        later.Added.ShouldBe(0);
    }

    [Fact]
    public async Task Discovered_KeepTheirPriorityDepthAndCallback()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/")], Ct);
        var lease = await LeaseOneAsync(frontier);

        await CompleteAsync(frontier, Done(lease, [new Request("http://example.com/x") { Priority = 5, Depth = 1, Callback = "ParseItem", Meta = { ["k"] = 7 } }]));

        var next = await LeaseOneAsync(frontier);
        next.Request.Url.ShouldBe(new Uri("http://example.com/x"));
        next.Request.Priority.ShouldBe(5);
        next.Request.Depth.ShouldBe(1);
        next.Request.Callback.ShouldBe("ParseItem");
        next.Request.GetMeta<int>("k").ShouldBe(7);
    }

    // ---- Leasing -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Lease_TakesHigherPriorityFirst_AndFifoWithinAPriority()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/low1", -1), Req("http://example.com/mid1"), Req("http://example.com/high1", 10)], Ct);
        await frontier.AddAsync([Req("http://example.com/mid2"), Req("http://example.com/high2", 10), Req("http://example.com/low2", -1)], Ct);

        var order = new List<string>();
        while ((await frontier.TryLeaseAsync(2, Ct)) is { Count: > 0 } leases)
        {
            order.AddRange(leases.Select(l => l.Request.Url.AbsolutePath.TrimStart('/')));
        }

        order.ShouldBe(["high1", "high2", "mid1", "mid2", "low1", "low2"]);
    }

    [Fact]
    public async Task Lease_HonoursTheBatchSize()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync(Enumerable.Range(0, 10).Select(i => Req($"http://example.com/{i}")).ToArray(), Ct);

        (await frontier.TryLeaseAsync(3, Ct)).Count.ShouldBe(3);
        (await frontier.TryLeaseAsync(4, Ct)).Count.ShouldBe(4);
        (await frontier.TryLeaseAsync(100, Ct)).Count.ShouldBe(3);
        (await frontier.TryLeaseAsync(100, Ct)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Lease_OfLessThanOne_IsRefused()
    {
        await using var frontier = await CreateAsync();

        await Should.ThrowAsync<ArgumentOutOfRangeException>(async () => await frontier.TryLeaseAsync(0, Ct));
    }

    [Fact]
    public async Task Lease_NeverHandsOutARequestThatIsLeased()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync(Enumerable.Range(0, 20).Select(i => Req($"http://example.com/{i}")).ToArray(), Ct);

        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => frontier.TryLeaseAsync(5, Ct).AsTask()));

        var ids = batches.SelectMany(b => b).Select(l => l.EntryId).ToList();
        ids.Count.ShouldBe(20);
        ids.Distinct().Count().ShouldBe(20);
        var counts = await frontier.GetCountsAsync(Ct);
        counts.InProgress.ShouldBe(20);
        counts.Pending.ShouldBe(0);
    }

    [Fact]
    public async Task Lease_IsTheFirstAttempt_WithTheRequestAsScheduled()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([new Request("http://example.com/a") { Headers = { ["X-Test"] = "1" }, Callback = "ParseA" }], Ct);

        var lease = await LeaseOneAsync(frontier);

        lease.Attempt.ShouldBe(1);
        lease.Request.Headers["X-Test"].ShouldBe("1");
        lease.Request.Callback.ShouldBe("ParseA");
    }

    // ---- Waiting -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task WaitToLease_IsTrue_WhenSomethingIsPending()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/")], Ct);

        (await Within(frontier.WaitToLeaseAsync(Ct))).ShouldBeTrue();
    }

    [Fact]
    public async Task WaitToLease_IsFalse_WhenEmpty()
    {
        await using var frontier = await CreateAsync();

        (await Within(frontier.WaitToLeaseAsync(Ct))).ShouldBeFalse();
    }

    [Fact]
    public async Task WaitToLease_IsFalse_OnceEverythingIsCompleted()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b"), Req("http://example.com/c")], Ct);
        var leases = await LeaseAllAsync(frontier);
        await CompleteAsync(frontier, Done(leases[0]), Completion.Failed(leases[1], "dns", "no such host"), Completion.Skipped(leases[2], "robots", "disallowed"));

        (await Within(frontier.WaitToLeaseAsync(Ct))).ShouldBeFalse();
    }

    [Fact]
    public async Task WaitToLease_WaitsWhileOnlyLeasesAreOut_ThenWakesWhenACompletionAddsWork()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var wait = frontier.WaitToLeaseAsync(Ct).AsTask();
        await ShouldStillBeWaiting(wait);

        await CompleteAsync(frontier, Done(lease, [Req("http://example.com/next")]));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
    }

    [Fact]
    public async Task WaitToLease_WaitsWhileOnlyLeasesAreOut_ThenIsFalseWhenTheLastOneCompletes()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b")], Ct);
        var leases = await LeaseAllAsync(frontier);

        var wait = frontier.WaitToLeaseAsync(Ct).AsTask();
        await CompleteAsync(frontier, Done(leases[0]));
        await ShouldStillBeWaiting(wait);

        await CompleteAsync(frontier, Done(leases[1]));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeFalse();
    }

    [Fact]
    public async Task WaitToLease_WakesWhenRequestsAreAdded()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        await LeaseOneAsync(frontier);

        var wait = frontier.WaitToLeaseAsync(Ct).AsTask();
        await ShouldStillBeWaiting(wait);
        await frontier.AddAsync([Req("http://example.com/b")], Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
    }

    [Fact]
    public async Task WaitToLease_WakesWhenALeaseIsReleased()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var wait = frontier.WaitToLeaseAsync(Ct).AsTask();
        await ShouldStillBeWaiting(wait);
        await frontier.ReleaseAsync([lease], Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
    }

    [Fact]
    public async Task WaitToLease_ObservesCancellation()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        await LeaseOneAsync(frontier);
        using var cancel = new CancellationTokenSource();

        var wait = frontier.WaitToLeaseAsync(cancel.Token).AsTask();
        await ShouldStillBeWaiting(wait);
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    // ---- Completing ----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Done_CommitsItemsWithIncreasingSequence()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b"), Req("http://example.com/c")], Ct);
        var leases = await LeaseAllAsync(frontier);

        var first = await CompleteAsync(frontier, Done(leases[0], null, "a1", "a2"), Done(leases[1], null, "b1"));
        var second = await CompleteAsync(frontier, Done(leases[2], null, "c1"));

        first.Accepted.ShouldBe([true, true]);
        first.Items.Select(i => Text(i.Json)).ShouldBe([Text(Item("a1")), Text(Item("a2")), Text(Item("b1"))]);
        second.Items.Select(i => Text(i.Json)).ShouldBe([Text(Item("c1"))]);
        var sequences = first.Items.Concat(second.Items).Select(i => i.Sequence).ToList();
        sequences[0].ShouldBeGreaterThanOrEqualTo(1);
        sequences.Zip(sequences.Skip(1)).ShouldAllBe(pair => pair.Second > pair.First);
        (await frontier.GetCountsAsync(Ct)).Done.ShouldBe(3);
    }

    [Fact]
    public async Task Failed_CommitsWhatItsErrorCallbackYielded_WithTheFailure()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/gone")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var result = await CompleteAsync(frontier, Completion.Failed(lease, "http_404", "HTTP 404", 404, [Req("http://example.com/instead")], [Item("gone")]));

        result.Accepted.ShouldBe([true]);
        result.Added.ShouldBe(1);
        result.Items.Select(i => Text(i.Json)).ShouldBe([Text(Item("gone"))]);
        (await frontier.GetCountsAsync(Ct)).Failed.ShouldBe(1);
        (await LeaseAllAsync(frontier)).Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/instead"]);
    }

    [Fact]
    public async Task Done_SchedulesDiscoveredRequests()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var result = await CompleteAsync(frontier, Done(lease, [Req("http://example.com/1"), Req("http://example.com/2")]));

        result.Added.ShouldBe(2);
        (await LeaseAllAsync(frontier)).Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/1", "/2"]);
    }

    [Fact]
    public async Task Retry_GoesBackToPending_NotDueUntilRetryAt_AndCountsTheAttempt()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/flaky")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var result = await CompleteAsync(frontier, Completion.Retry(lease, "http_503", "Service Unavailable", Time.GetUtcNow().AddSeconds(10), 503));

        result.Accepted.ShouldBe([true]);
        result.Items.ShouldBeEmpty();
        var counts = await frontier.GetCountsAsync(Ct);
        counts.Pending.ShouldBe(1);
        counts.InProgress.ShouldBe(0);
        (await frontier.TryLeaseAsync(10, Ct)).ShouldBeEmpty();

        var wait = frontier.WaitToLeaseAsync(Ct).AsTask();
        await ShouldStillBeWaiting(wait);
        Time.Advance(TimeSpan.FromSeconds(5));
        (await frontier.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        Time.Advance(TimeSpan.FromSeconds(5));
        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();

        var retry = await LeaseOneAsync(frontier);
        retry.EntryId.ShouldBe(lease.EntryId);
        retry.Attempt.ShouldBe(2);
        retry.Token.ShouldNotBe(lease.Token);
    }

    [Fact]
    public async Task Retry_InThePast_IsDueAtOnce()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/flaky")], Ct);
        var lease = await LeaseOneAsync(frontier);

        await CompleteAsync(frontier, Completion.Retry(lease, "timeout", "timed out", Time.GetUtcNow()));

        (await LeaseOneAsync(frontier)).Attempt.ShouldBe(2);
    }

    [Fact]
    public async Task Retry_DoesNotCommitItemsOrDiscoveredRequests()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/")], Ct);
        var lease = await LeaseOneAsync(frontier);

        var result = await CompleteAsync(frontier, Completion.Retry(lease, "timeout", "timed out", Time.GetUtcNow()));

        result.Items.ShouldBeEmpty();
        result.Added.ShouldBe(0);
        (await frontier.GetCountsAsync(Ct)).Total.ShouldBe(1);
    }

    [Fact]
    public async Task FailedAndSkipped_AreTerminal()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/gone"), Req("http://example.com/private")], Ct);
        var leases = await LeaseAllAsync(frontier);

        var result = await CompleteAsync(frontier,
            Completion.Failed(leases[0], "http_404", "Not Found", 404),
            Completion.Skipped(leases[1], "robots", "disallowed by robots.txt"));

        result.Accepted.ShouldBe([true, true]);
        var counts = await frontier.GetCountsAsync(Ct);
        counts.ShouldBe(new FrontierCounts(0, 0, 0, 1, 1));
        Time.Advance(TimeSpan.FromHours(2));
        (await frontier.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        (await frontier.AddAsync([Req("http://example.com/gone"), Req("http://example.com/private")], Ct)).ShouldBe(0);
        (await Within(frontier.WaitToLeaseAsync(Ct))).ShouldBeFalse();
    }

    [Fact]
    public async Task Counts_AreByStatus()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync(Enumerable.Range(0, 8).Select(i => Req($"http://example.com/{i}")).ToArray(), Ct);
        var leases = await frontier.TryLeaseAsync(6, Ct);

        await CompleteAsync(frontier,
            Done(leases[0]),
            Done(leases[1]),
            Completion.Failed(leases[2], "dns", "no such host"),
            Completion.Skipped(leases[3], "scope", "off site"),
            Completion.Retry(leases[4], "timeout", "timed out", Time.GetUtcNow().AddMinutes(1)));

        var counts = await frontier.GetCountsAsync(Ct);
        counts.ShouldBe(new FrontierCounts(Pending: 3, InProgress: 1, Done: 2, Failed: 1, Skipped: 1));
        counts.Total.ShouldBe(8);
    }

    [Fact]
    public async Task Release_ReturnsToPending_WithoutCountingAnAttempt()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b")], Ct);
        var leases = await LeaseAllAsync(frontier);

        await frontier.ReleaseAsync(leases, Ct);

        var counts = await frontier.GetCountsAsync(Ct);
        counts.Pending.ShouldBe(2);
        counts.InProgress.ShouldBe(0);
        var again = await LeaseAllAsync(frontier);
        again.Select(l => l.EntryId).ShouldBe(leases.Select(l => l.EntryId));
        again.ShouldAllBe(l => l.Attempt == 1);
    }

    [Fact]
    public async Task Release_EndsTheLease_SoItsCompletionIsRejected()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        var lease = await LeaseOneAsync(frontier);
        await frontier.ReleaseAsync([lease], Ct);

        var result = await CompleteAsync(frontier, Done(lease, [Req("http://example.com/b")], "item"));

        result.Accepted.ShouldBe([false]);
        result.Items.ShouldBeEmpty();
        result.Added.ShouldBe(0);
        (await frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(1, 0, 0, 0, 0));
    }

    [Fact]
    public async Task Completion_OfALeaseAlreadyCompleted_IsRejected()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        var lease = await LeaseOneAsync(frontier);
        await CompleteAsync(frontier, Done(lease, null, "once"));

        var again = await CompleteAsync(frontier, Done(lease, null, "twice"));

        again.Accepted.ShouldBe([false]);
        again.Items.ShouldBeEmpty();
    }

    // ---- Lease expiry and renewal ------------------------------------------------------------------------------------

    [Fact]
    public async Task ExpiredLease_GoesBackToPending_AndItsLateCompletionIsRejected()
    {
        await using var frontier = await CreateAsync(TimeSpan.FromSeconds(30));
        await frontier.AddAsync([Req("http://example.com/slow")], Ct);
        var lease = await LeaseOneAsync(frontier);
        lease.ExpiresAt.ShouldBe(Time.GetUtcNow().AddSeconds(30));

        Time.Advance(TimeSpan.FromSeconds(31));
        var second = await LeaseOneAsync(frontier);
        second.EntryId.ShouldBe(lease.EntryId);
        second.Token.ShouldNotBe(lease.Token);

        var late = await CompleteAsync(frontier, Done(lease, [Req("http://example.com/from-late")], "late item"));
        late.Accepted.ShouldBe([false]);
        late.Items.ShouldBeEmpty();
        late.Added.ShouldBe(0);

        var onTime = await CompleteAsync(frontier, Done(second, null, "item"));
        onTime.Accepted.ShouldBe([true]);
        onTime.Items.Select(i => Text(i.Json)).ShouldBe([Text(Item("item"))]);
        (await frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(0, 0, 1, 0, 0));
    }

    [Fact]
    public async Task ExpiredLease_IsRejected_EvenBeforeItIsLeasedAgain()
    {
        await using var frontier = await CreateAsync(TimeSpan.FromSeconds(30));
        await frontier.AddAsync([Req("http://example.com/slow")], Ct);
        var lease = await LeaseOneAsync(frontier);

        Time.Advance(TimeSpan.FromSeconds(31));
        var late = await CompleteAsync(frontier, Done(lease, null, "late item"));

        late.Accepted.ShouldBe([false]);
        late.Items.ShouldBeEmpty();
        (await LeaseOneAsync(frontier)).EntryId.ShouldBe(lease.EntryId);
    }

    [Fact]
    public async Task WaitToLease_WakesWhenTheOnlyLeaseExpires()
    {
        await using var frontier = await CreateAsync(TimeSpan.FromSeconds(30));
        await frontier.AddAsync([Req("http://example.com/slow")], Ct);
        await LeaseOneAsync(frontier);

        var wait = frontier.WaitToLeaseAsync(Ct).AsTask();
        await ShouldStillBeWaiting(wait);
        Time.Advance(TimeSpan.FromSeconds(31));

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
    }

    [Fact]
    public async Task Renew_ExtendsALease()
    {
        await using var frontier = await CreateAsync(TimeSpan.FromSeconds(30));
        await frontier.AddAsync([Req("http://example.com/slow")], Ct);
        var lease = await LeaseOneAsync(frontier);

        Time.Advance(TimeSpan.FromSeconds(20));
        await frontier.RenewAsync([lease], Ct);
        Time.Advance(TimeSpan.FromSeconds(20));

        (await frontier.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        (await CompleteAsync(frontier, Done(lease))).Accepted.ShouldBe([true]);
    }

    [Fact]
    public async Task Renew_DoesNotRevive_AnExpiredLease()
    {
        await using var frontier = await CreateAsync(TimeSpan.FromSeconds(30));
        await frontier.AddAsync([Req("http://example.com/slow")], Ct);
        var lease = await LeaseOneAsync(frontier);

        Time.Advance(TimeSpan.FromSeconds(31));
        await frontier.RenewAsync([lease], Ct);

        (await CompleteAsync(frontier, Done(lease))).Accepted.ShouldBe([false]);
    }

    // ---- Batches -----------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Batch_IsAppliedInOrder_WithAFlagPerCompletion()
    {
        await using var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b"), Req("http://example.com/c")], Ct);
        var leases = await LeaseAllAsync(frontier);
        await frontier.ReleaseAsync([leases[1]], Ct);

        var result = await CompleteAsync(frontier,
            Done(leases[2], [Req("http://example.com/from-c")], "c1"),
            Done(leases[1], [Req("http://example.com/from-b")], "b1"),
            Done(leases[0], [Req("http://example.com/from-a"), Req("http://example.com/from-c")], "a1", "a2"),
            Done(leases[0], null, "a-again"));

        result.Accepted.ShouldBe([true, false, true, false]);
        result.Items.Select(i => Text(i.Json)).ShouldBe([Text(Item("c1")), Text(Item("a1")), Text(Item("a2"))]);
        result.Added.ShouldBe(2);
        (await frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 3, InProgress: 0, Done: 2, Failed: 0, Skipped: 0));
    }

    [Fact]
    public async Task EmptyBatch_CommitsNothing()
    {
        await using var frontier = await CreateAsync();

        var result = await frontier.CompleteAsync([], Ct);

        result.Accepted.ShouldBeEmpty();
        result.Items.ShouldBeEmpty();
        result.Added.ShouldBe(0);
    }
}
