using System.Buffers.Binary;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Tests.Jobs;

namespace Trawl.Tests.BadInput;

/// <summary>A job store on a real file system that fills up: what it does at the edges of a pause and a resume.</summary>
public sealed class FullDiskJobStoreTests : JobStoreTestBase
{
    [Fact]
    public async Task Release_OnAFullDisk_DoesNotThrow_AndTheLeasesComeBackOnReopen()
    {
        using var mount = TmpfsMount.Mount("1m");

        var directory = mount.File("job");
        var store = await OpenAsync(directory: directory);
        await store.Frontier.AddAsync([.. Enumerable.Range(0, 50).Select(i => new Request($"https://example.com/{i}"))], Ct);
        var leases = await store.Frontier.TryLeaseAsync(20, Ct);
        mount.Fill();

        await store.Frontier.ReleaseAsync(leases, Ct);
        await Should.ThrowAsync<JobStoreFullException>(async () => await store.Frontier.CompleteAsync([Completion.Done(leases[0], 200, [], [])], Ct));
        await store.DisposeAsync();
        File.Delete(mount.File("filler"));

        var reopened = await OpenAsync(directory: directory);

        reopened.RecoveredLeases.ShouldBe(20);
        (await reopened.Frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(Pending: 50, InProgress: 0, Done: 0, Failed: 0, Skipped: 0));
    }

    /// <summary>
    /// Closing a job on a full disk stops its last checkpoint half way: the main file's header already counts pages the
    /// file does not have, while the write-ahead log still holds them. That job is whole, and must open.
    /// </summary>
    [Fact]
    public async Task JobClosedOnAFullDisk_WithItsCheckpointCutShort_ReopensWhole()
    {
        using var mount = TmpfsMount.Mount("2m");

        var directory = mount.File("job");
        var database = Path.Combine(directory, "job.db");
        var store = await OpenAsync(directory: directory);
        for (var batch = 0; batch < 10; batch++)
        {
            await store.Frontier.AddAsync([.. Enumerable.Range(0, 100).Select(i => new Request($"https://example.com/{batch}/{i}?pad={new string('x', 200)}"))], Ct);
        }

        mount.Fill();
        await store.DisposeAsync();
        File.Delete(mount.File("filler"));
        File.Exists(database + "-wal").ShouldBeTrue("the log could not be folded into the main file");
        var header = new byte[100];
        await using (var file = File.OpenRead(database))
        {
            await file.ReadExactlyAsync(header, Ct);
        }

        var pagesInHeader = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(28));
        var pageSize = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(16));
        ((long)pagesInHeader * pageSize).ShouldBeGreaterThan(new FileInfo(database).Length, "the checkpoint was cut short after rewriting the header");

        var reopened = await OpenAsync(directory: directory);

        (await reopened.Frontier.GetCountsAsync(Ct)).Pending.ShouldBe(1000);
    }
}
