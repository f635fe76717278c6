using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;

namespace Trawl.Tests.Engine;

public sealed class CompletionCommitterTests
{
    [Fact]
    public async Task ABatch_IsAppliedToTheFrontier_CountedAndItsItemsHandedOn_UpToTheItemLimit()
    {
        await using var frontier = new MemoryFrontier();
        await frontier.AddAsync([.. Enumerable.Range(0, 4).Select(i => new Request($"http://example.com/{i}"))], CancellationToken.None);
        var leases = await frontier.TryLeaseAsync(4, CancellationToken.None);
        using var stats = EngineParts.Stats();
        using var lifetime = EngineParts.Lifetime();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions(), CancellationToken.None);
        var committer = new CompletionCommitter(null, frontier, null, stats, feed, itemLimit: 3, lifetime, NullLogger.Instance);

        await committer.CommitAsync(
        [
            Completion.Done(leases[0], 200, [], [Item(1), Item(2)]),
            Completion.Skipped(leases[1], "robots", "disallowed"),
            Completion.Done(leases[2], 200, [], [Item(3), Item(4)]),
            Completion.Failed(leases[3], "http_404", "HTTP 404"),
        ]);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        committer.ItemLimitReached.ShouldBeTrue();
        feed.Items.Select(item => (int)item["n"]!).ShouldBe([1, 2, 3]);
        var snapshot = stats.Snapshot(0, 0, new Dictionary<string, long>());
        snapshot.Pages.ShouldBe(2);
        snapshot.Items.ShouldBe(3);
        snapshot.SkippedByKind["robots"].ShouldBe(1);
        (await frontier.GetCountsAsync(CancellationToken.None)).ShouldBe(new FrontierCounts(0, 0, 2, 1, 1));
    }

    [Fact]
    public async Task ACompletionOfALeaseNoLongerHeld_IsNotCounted()
    {
        await using var frontier = new MemoryFrontier();
        await frontier.AddAsync([new Request("http://example.com/")], CancellationToken.None);
        var lease = (await frontier.TryLeaseAsync(1, CancellationToken.None)).Single();
        await frontier.ReleaseAsync([lease], CancellationToken.None);
        using var stats = EngineParts.Stats();
        using var lifetime = EngineParts.Lifetime();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions(), CancellationToken.None);
        var committer = new CompletionCommitter(null, frontier, null, stats, feed, itemLimit: null, lifetime, NullLogger.Instance);

        await committer.CommitAsync([Completion.Done(lease, 200, [], [Item(1)])]);

        stats.Snapshot(0, 0, new Dictionary<string, long>()).Pages.ShouldBe(0);
        committer.ItemLimitReached.ShouldBeFalse();
    }

    private static byte[] Item(int n) => Encoding.UTF8.GetBytes($$"""{"n":{{n}}}""");
}
