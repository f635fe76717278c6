using Trawl.Frontier;
using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>What <c>trawl status</c> and <c>trawl retry-failed</c> rely on.</summary>
public sealed class JobStoreStatusTests : JobStoreTestBase
{
    [Fact]
    public async Task RetryFailed_PutsFailedRequestsBack_WithAttemptsReset()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync(Enumerable.Range(0, 5).Select(i => Req($"https://example.com/{i}")).ToArray(), Ct);
        var leases = await store.Frontier.TryLeaseAsync(5, Ct);
        await store.Frontier.CompleteAsync(
        [
            Completion.Retry(leases[0], "timeout", "timed out", Time.GetUtcNow()),
            Completion.Failed(leases[1], "dns", "no such host"),
            Completion.Failed(leases[2], "http_500", "Internal Server Error", 500),
            Completion.Done(leases[3], 200, [], []),
            Completion.Skipped(leases[4], "robots", "disallowed"),
        ], Ct);
        var retried = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        retried.Attempt.ShouldBe(2);
        await store.Frontier.CompleteAsync([Completion.Failed(retried, "timeout", "timed out")], Ct);
        await store.MarkFinishedAsync(Ct);

        var count = await store.RetryFailedAsync(Ct);

        count.ShouldBe(3);
        (await store.Frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 3, InProgress: 0, Done: 1, Failed: 0, Skipped: 1));
        var again = await store.Frontier.TryLeaseAsync(10, Ct);
        again.Select(l => l.EntryId).ShouldBe([leases[0].EntryId, leases[1].EntryId, leases[2].EntryId]);
        again.ShouldAllBe(l => l.Attempt == 1);
        (await store.GetMetadataAsync(Ct)).IsFinished.ShouldBeFalse();
        (await store.RetryFailedAsync(Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task RetryFailed_WakesAWaitingCrawl()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/a"), Req("https://example.com/b")], Ct);
        var leases = await store.Frontier.TryLeaseAsync(2, Ct);
        await store.Frontier.CompleteAsync([Completion.Failed(leases[0], "dns", "no such host")], Ct);
        var wait = store.Frontier.WaitToLeaseAsync(Ct).AsTask();
        await Task.WhenAny(wait, Task.Delay(100));
        wait.IsCompleted.ShouldBeFalse();

        await store.RetryFailedAsync(Ct);

        (await wait.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();
    }

    [Fact]
    public async Task Status_SummarizesCountsItemsErrorsAndRate()
    {
        var store = await OpenAsync(o => o.SpiderName = "quotes");
        await store.Frontier.AddAsync(Enumerable.Range(0, 10).Select(i => Req($"https://example.com/{i}")).ToArray(), Ct);
        var leases = await store.Frontier.TryLeaseAsync(8, Ct);
        await store.Frontier.CompleteAsync(
        [
            Completion.Done(leases[0], 200, [], [Item("a"), Item("b")]),
            Completion.Done(leases[1], 200, [], [Item("c")]),
            Completion.Failed(leases[2], "http_404", "Not Found", 404),
            Completion.Failed(leases[3], "http_404", "Not Found", 404),
            Completion.Failed(leases[4], "http_404", "Not Found", 404),
            Completion.Failed(leases[5], "dns", "no such host"),
            Completion.Skipped(leases[6], "robots", "disallowed"),
        ], Ct);
        Time.Advance(TimeSpan.FromMinutes(2));
        await store.Frontier.CompleteAsync([Completion.Done(leases[7], 200, [], [Item("d")])], Ct);
        Time.Advance(TimeSpan.FromSeconds(10));

        var status = await store.GetStatusAsync(cancellationToken: Ct);

        status.Counts.ShouldBe(new FrontierCounts(Pending: 2, InProgress: 0, Done: 3, Failed: 4, Skipped: 1));
        status.Items.ShouldBe(4);
        status.TopErrors.ShouldBe([new JobErrorCount("http_404", "Not Found", 3), new JobErrorCount("dns", "no such host", 1)]);
        status.DoneLastMinute.ShouldBe(1);
        status.LastActivity.ShouldBe(Time.GetUtcNow().AddSeconds(-10));
        status.Metadata.SpiderName.ShouldBe("quotes");
        (await store.GetStatusAsync(topErrors: 1, Ct)).TopErrors.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Status_OfANewJob_IsEmpty()
    {
        var store = await OpenAsync();

        var status = await store.GetStatusAsync(cancellationToken: Ct);

        status.Counts.Total.ShouldBe(0);
        status.Items.ShouldBe(0);
        status.TopErrors.ShouldBeEmpty();
        status.DoneLastMinute.ShouldBe(0);
    }

    [Fact]
    public async Task ReadStatus_WorksWhileTheJobIsOpen_AndSeesCommittedProgress()
    {
        var store = await OpenAsync(o => o.SpiderName = "quotes");
        await store.Frontier.AddAsync(Enumerable.Range(0, 4).Select(i => Req($"https://example.com/{i}")).ToArray(), Ct);
        var leases = await store.Frontier.TryLeaseAsync(3, Ct);
        await store.Frontier.CompleteAsync([Completion.Done(leases[0], 200, [], [Item("a")]), Completion.Failed(leases[1], "dns", "no such host")], Ct);

        var status = await JobStore.ReadStatusAsync(JobDir, Time, cancellationToken: Ct);

        status.ShouldNotBeNull();
        status.Counts.ShouldBe(new FrontierCounts(Pending: 1, InProgress: 1, Done: 1, Failed: 1, Skipped: 0));
        status.Items.ShouldBe(1);
        status.TopErrors.ShouldBe([new JobErrorCount("dns", "no such host", 1)]);
        status.DoneLastMinute.ShouldBe(1);
        status.Metadata.SpiderName.ShouldBe("quotes");
        (await store.Frontier.CompleteAsync([Completion.Done(leases[2], 200, [], [])], Ct)).Accepted.ShouldBe([true]);
        (await JobStore.ReadStatusAsync(JobDir, Time, cancellationToken: Ct))!.Counts.Done.ShouldBe(2);
    }

    [Fact]
    public async Task Status_CountsLeasesHeldAhead_AsQueued_NotAsInFlight()
    {
        var store = await OpenAsync(o => o.SpiderName = "quotes");
        await store.Frontier.AddAsync(Enumerable.Range(0, 10).Select(i => Req($"https://example.com/{i}")).ToArray(), Ct);
        var leases = await store.Frontier.TryLeaseAsync(8, Ct);

        // The crawl committed one page while it had two requests downloading; the other leases wait in it, not started.
        await store.Frontier.CompleteAsync([Completion.Done(leases[0], 200, [], [])], new JobStateUpdate(InFlight: 2), Ct);
        var status = await JobStore.ReadStatusAsync(JobDir, Time, cancellationToken: Ct);

        status.ShouldNotBeNull();
        status.Counts.ShouldBe(new FrontierCounts(Pending: 2, InProgress: 7, Done: 1, Failed: 0, Skipped: 0));
        status.InFlight.ShouldBe(2);
        status.LeasedAhead.ShouldBe(5);
        status.Queued.ShouldBe(7);
        var text = await Trawl.Tests.Support.CliRunner.RunAsync("status", JobDir);
        text.Output.ShouldContain("10 in all: 7 queued (2 pending, 5 leased ahead by the crawl), 2 in flight, 1 done");
    }

    [Fact]
    public async Task Status_OfAJobWithoutAnInFlightRecord_ShowsWhatIsInProgress()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/a"), Req("https://example.com/b")], Ct);
        await store.Frontier.TryLeaseAsync(1, Ct);

        var status = await JobStore.ReadStatusAsync(JobDir, Time, cancellationToken: Ct);

        status!.InFlight.ShouldBeNull();
        status.Queued.ShouldBe(1);
        (await Trawl.Tests.Support.CliRunner.RunAsync("status", JobDir)).Output.ShouldContain("1 pending, 1 in progress");
    }

    [Fact]
    public async Task ReadStatus_OfAClosedJob_ChangesNothing()
    {
        await CreateJobAsync();
        var before = Snapshot(JobDir);

        var status = await JobStore.ReadStatusAsync(JobDir, Time, cancellationToken: Ct);

        status!.Counts.Total.ShouldBe(200);
        Snapshot(JobDir).Where(f => f.Key == "job.db").ShouldBe(before);
        var store = await OpenAsync();
        store.IsNew.ShouldBeFalse();
    }

    [Fact]
    public async Task ReadStatus_OfADirectoryWithoutAJob_IsNull()
    {
        (await JobStore.ReadStatusAsync(JobDir, Time, cancellationToken: Ct)).ShouldBeNull();
        Directory.Exists(JobDir).ShouldBeFalse();
    }
}
