using Trawl.Frontier;

namespace Trawl.Tests.Frontier;

/// <summary>
/// What a frontier that outlives its process must also do: after a crash, reopened from the same storage, it holds
/// everything that was committed and nothing that was not.
/// </summary>
public abstract class DurableFrontierContractTests : FrontierContractTests
{
    /// <summary>
    /// Simulates a crash of the process holding <paramref name="crashed"/>: abandon it without any clean shutdown (no
    /// release of leases, no final flush), then open a new frontier on the same storage, with the same lease duration and
    /// the test's clock. <paramref name="crashed"/> must not be used afterwards.
    /// </summary>
    protected abstract ValueTask<IFrontier> ReopenAsync(IFrontier crashed);

    [Fact]
    public async Task Reopen_KeepsPendingDoneAndSeen()
    {
        var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b", 3), Req("http://example.com/c")], Ct);
        var lease = await LeaseOneAsync(frontier);
        lease.Request.Url.AbsolutePath.ShouldBe("/b");
        await CompleteAsync(frontier, Done(lease, [Req("http://example.com/d", 1)]));

        await using var reopened = await ReopenAsync(frontier);

        (await reopened.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 3, InProgress: 0, Done: 1, Failed: 0, Skipped: 0));
        (await reopened.AddAsync([Req("http://example.com/a"), Req("http://example.com/b"), Req("http://example.com/d")], Ct)).ShouldBe(0);
        var order = (await reopened.TryLeaseAsync(10, Ct)).Select(l => l.Request.Url.AbsolutePath);
        order.ShouldBe(["/d", "/a", "/c"]);
    }

    [Fact]
    public async Task Reopen_ReturnsLeasesInProgressToPending_WithoutCountingAnAttempt()
    {
        var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b"), Req("http://example.com/c")], Ct);
        var leases = await frontier.TryLeaseAsync(2, Ct);

        await using var reopened = await ReopenAsync(frontier);

        (await reopened.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 3, InProgress: 0, Done: 0, Failed: 0, Skipped: 0));
        var again = await reopened.TryLeaseAsync(10, Ct);
        again.Count.ShouldBe(3);
        again.Take(2).Select(l => l.EntryId).ShouldBe(leases.Select(l => l.EntryId));
        again.ShouldAllBe(l => l.Attempt == 1);
    }

    [Fact]
    public async Task Reopen_RejectsCompletionsOfLeasesTakenBeforeTheCrash()
    {
        var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        var before = await LeaseOneAsync(frontier);

        await using var reopened = await ReopenAsync(frontier);
        var after = await LeaseOneAsync(reopened);

        var stale = await reopened.CompleteAsync([Done(before, null, "stale")], Ct);
        stale.Accepted.ShouldBe([false]);
        stale.Items.ShouldBeEmpty();
        (await reopened.CompleteAsync([Done(after, null, "fresh")], Ct)).Accepted.ShouldBe([true]);
    }

    [Fact]
    public async Task Reopen_KeepsTheRetryCountAndDueTime()
    {
        var frontier = await CreateAsync();
        await frontier.AddAsync([Req("http://example.com/flaky")], Ct);
        var lease = await LeaseOneAsync(frontier);
        await CompleteAsync(frontier, Completion.Retry(lease, "timeout", "timed out", Time.GetUtcNow().AddMinutes(1)));

        await using var reopened = await ReopenAsync(frontier);

        (await reopened.TryLeaseAsync(10, Ct)).ShouldBeEmpty();
        Time.Advance(TimeSpan.FromMinutes(1));
        (await Within(reopened.WaitToLeaseAsync(Ct))).ShouldBeTrue();
        (await LeaseOneAsync(reopened)).Attempt.ShouldBe(2);
    }

    [Fact]
    public async Task Reopen_KeepsCommittedItems_AndNotUncommittedOnes()
    {
        var frontier = await CreateAsync();
        frontier.ShouldBeAssignableTo<IItemLog>();
        await frontier.AddAsync([Req("http://example.com/a"), Req("http://example.com/b")], Ct);
        var leases = await LeaseAllAsync(frontier);
        var committed = await CompleteAsync(frontier, Done(leases[0], null, "a1", "a2"));
        // leases[1] was being worked on when the process died: its items were never committed.

        await using var reopened = await ReopenAsync(frontier);
        var log = (IItemLog)reopened;

        var survived = await log.ReadItemsAsync(0, 100, Ct);
        survived.Select(i => (i.Sequence, Text(i.Json))).ShouldBe(committed.Items.Select(i => (i.Sequence, Text(i.Json))));

        var redo = await LeaseOneAsync(reopened);
        redo.EntryId.ShouldBe(leases[1].EntryId);
        var result = await reopened.CompleteAsync([Done(redo, null, "b1")], Ct);
        result.Items.Single().Sequence.ShouldBeGreaterThan(committed.Items[^1].Sequence);

        var all = await log.ReadItemsAsync(0, 100, Ct);
        all.Select(i => Text(i.Json)).ShouldBe([Text(Item("a1")), Text(Item("a2")), Text(Item("b1"))]);
        (await log.ReadItemsAsync(committed.Items[^1].Sequence, 100, Ct)).Select(i => Text(i.Json)).ShouldBe([Text(Item("b1"))]);
    }

    [Fact]
    public async Task Reopen_KeepsExportCheckpoints()
    {
        var frontier = await CreateAsync();
        var log = frontier.ShouldBeAssignableTo<IItemLog>()!;
        await log.SetExportCheckpointAsync("out.jsonl", new ExportCheckpoint(7, 1234), Ct);
        await log.SetExportCheckpointAsync("out.jsonl", new ExportCheckpoint(9, 2048), Ct);

        await using var reopened = await ReopenAsync(frontier);
        var reopenedLog = (IItemLog)reopened;

        (await reopenedLog.GetExportCheckpointAsync("out.jsonl", Ct)).ShouldBe(new ExportCheckpoint(9, 2048));
        (await reopenedLog.GetExportCheckpointAsync("other.csv", Ct)).ShouldBe(new ExportCheckpoint(0, 0));
    }

    [Fact]
    public async Task ItemLog_ReadsInPages()
    {
        await using var frontier = await CreateAsync();
        var log = frontier.ShouldBeAssignableTo<IItemLog>()!;
        await frontier.AddAsync([Req("http://example.com/a")], Ct);
        var lease = await LeaseOneAsync(frontier);
        var committed = await CompleteAsync(frontier, Done(lease, null, "1", "2", "3", "4", "5"));

        var first = await log.ReadItemsAsync(0, 2, Ct);
        var second = await log.ReadItemsAsync(first[^1].Sequence, 2, Ct);
        var third = await log.ReadItemsAsync(second[^1].Sequence, 2, Ct);
        var none = await log.ReadItemsAsync(third[^1].Sequence, 2, Ct);

        first.Concat(second).Concat(third).Select(i => i.Sequence).ShouldBe(committed.Items.Select(i => i.Sequence));
        none.ShouldBeEmpty();
    }
}
