using Trawl.Frontier;
using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>
/// A full disk during a commit. SQLite reports a database that hits <c>PRAGMA max_page_count</c> exactly as it reports a
/// full disk (SQLITE_FULL), which lets the tests fill the "disk" on purpose.
/// </summary>
public sealed class JobStoreFullDiskTests : JobStoreTestBase
{
    private static Task FillDiskAsync(JobStore store) => store.RunForTestsAsync(db =>
    {
        using var command = db.Connection.CreateCommand();
        command.CommandText = "PRAGMA page_count";
        var pages = (long)command.ExecuteScalar()!;
        command.CommandText = $"PRAGMA max_page_count = {pages}";
        return command.ExecuteNonQuery();
    }).AsTask();

    private static Task FreeSpaceAsync(JobStore store) => store.RunForTestsAsync(db =>
    {
        using var command = db.Connection.CreateCommand();
        command.CommandText = "PRAGMA max_page_count = 1073741823";
        return command.ExecuteNonQuery();
    }).AsTask();

    private static byte[] BigItem(int i) => System.Text.Encoding.UTF8.GetBytes($"{{\"i\":{i},\"text\":\"{new string('x', 3000)}\"}}");

    [Fact]
    public async Task CompleteOnAFullDisk_Throws_CommitsNothing_AndCanBeRetriedOnceThereIsSpace()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync(Enumerable.Range(0, 20).Select(i => Req($"https://example.com/{i}")).ToArray(), Ct);
        var leases = await store.Frontier.TryLeaseAsync(20, Ct);
        var batch = leases.Select((l, i) => Completion.Done(l, 200, [Req($"https://example.com/found/{i}")], [BigItem(i), BigItem(i + 100)])).ToArray();
        store.SetPendingState(new JobStateUpdate(SpiderStateJson: "{\"batch\":1}"));
        await FillDiskAsync(store);

        var ex = await Should.ThrowAsync<JobStoreFullException>(async () => await store.Frontier.CompleteAsync(batch, Ct));

        ex.Directory.ShouldBe(store.Directory);
        ex.Message.ShouldContain("full");
        (await store.Frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 0, InProgress: 20, Done: 0, Failed: 0, Skipped: 0));
        (await store.Frontier.ReadItemsAsync(0, 100, Ct)).ShouldBeEmpty();
        (await store.LoadSpiderStateAsync(Ct)).ShouldBeNull();

        await FreeSpaceAsync(store);
        var result = await store.Frontier.CompleteAsync(batch, Ct);

        result.Accepted.ShouldAllBe(accepted => accepted);
        result.Items.Count.ShouldBe(40);
        result.Added.ShouldBe(20);
        (await store.LoadSpiderStateAsync(Ct)).ShouldBe("{\"batch\":1}");
        (await store.Frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 20, InProgress: 0, Done: 20, Failed: 0, Skipped: 0));
    }

    [Fact]
    public async Task AddOnAFullDisk_Throws_AndAddsNothing()
    {
        var store = await OpenAsync();
        await FillDiskAsync(store);

        await Should.ThrowAsync<JobStoreFullException>(async () =>
            await store.Frontier.AddAsync(Enumerable.Range(0, 2000).Select(i => Req($"https://example.com/{i}")).ToArray(), Ct));

        (await store.Frontier.GetCountsAsync(Ct)).Total.ShouldBe(0);
        await FreeSpaceAsync(store);
        (await store.Frontier.AddAsync([Req("https://example.com/0")], Ct)).ShouldBe(1);
    }

    [Fact]
    public async Task AfterAFullDisk_TheJobResumes()
    {
        var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await store.Frontier.AddAsync([Req("https://example.com/a")], Ct);
        var lease = (await store.Frontier.TryLeaseAsync(1, Ct))[0];
        await FillDiskAsync(store);
        await Should.ThrowAsync<JobStoreFullException>(async () =>
            await store.Frontier.CompleteAsync([Completion.Done(lease, 200, [], Enumerable.Range(0, 10).Select(BigItem).ToArray())], Ct));
        await store.DisposeAsync();

        var reopened = await OpenAsync();

        reopened.RecoveredLeases.ShouldBe(1);
        var again = (await reopened.Frontier.TryLeaseAsync(1, Ct))[0];
        again.Attempt.ShouldBe(1);
        (await reopened.Frontier.CompleteAsync([Completion.Done(again, 200, [], [BigItem(1)])], Ct)).Items.Count.ShouldBe(1);
    }
}
