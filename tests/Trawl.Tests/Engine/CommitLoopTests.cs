using System.Threading.Channels;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class CommitLoopTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryCompletion_IsCommittedOnce_InOrder_InBatchesOfAtMostMaxBatch_AndDisposeDrains()
    {
        var committed = new List<Completion>();
        var batches = new List<int>();
        var loop = new CommitLoop(
            batch =>
            {
                batches.Add(batch.Count);
                committed.AddRange(batch);
                return ValueTask.CompletedTask;
            },
            TimeSpan.Zero,
            TimeProvider.System,
            CancellationToken.None,
            CancellationToken.None,
            ex => throw new InvalidOperationException("no fault expected", ex));
        var written = Enumerable.Range(0, 3 * CommitLoop.MaxBatch).Select(i => EngineParts.Done($"http://example.com/{i}")).ToList();

        foreach (var completion in written)
        {
            await loop.WriteAsync(completion, CancellationToken.None);
        }

        await loop.DisposeAsync();

        committed.ShouldBe(written);
        batches.ShouldAllBe(count => count >= 1 && count <= CommitLoop.MaxBatch);
    }

    [Fact]
    public async Task WithAnInterval_ABatchGathers_UntilCommitSoonAsks()
    {
        var firstBatch = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var loop = GatheringLoop(new FakeTimeProvider(), firstBatch);

        // The clock never moves, so only CommitSoon can end the gathering: the three are committed together.
        for (var i = 0; i < 3; i++)
        {
            await loop.WriteAsync(EngineParts.Done($"http://example.com/{i}"), CancellationToken.None);
        }

        loop.CommitSoon();

        (await firstBatch.Task.WaitAsync(Generous)).ShouldBe(3);
    }

    [Fact]
    public async Task WithAnInterval_ABatchIsCommittedOnceTheIntervalPasses()
    {
        var time = new FakeTimeProvider();
        var committed = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var loop = GatheringLoop(time, committed);

        await loop.WriteAsync(EngineParts.Done("http://example.com/a"), CancellationToken.None);
        await Waiting.UntilAsync(() => loop.Waiting == 0, Generous, "the loop to take the completion");
        // Let the loop reach its timed wait, then move the clock past the interval, as often as it takes.
        await Waiting.UntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromSeconds(1));
                return committed.Task.IsCompleted;
            },
            Generous,
            "the interval to pass");

        (await committed.Task).ShouldBe(1);
    }

    // A loop gathering for a second by the given clock, which tells the size of the first batch it commits.
    private static CommitLoop GatheringLoop(TimeProvider time, TaskCompletionSource<int> firstBatch) =>
        new(
            batch =>
            {
                firstBatch.TrySetResult(batch.Count);
                return ValueTask.CompletedTask;
            },
            TimeSpan.FromSeconds(1),
            time,
            CancellationToken.None,
            CancellationToken.None,
            _ => { });

    [Fact]
    public async Task WhenHurried_ABatchDoesNotGather()
    {
        using var hurry = new CancellationTokenSource();
        await hurry.CancelAsync();
        var committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var loop = new CommitLoop(
            _ =>
            {
                committed.TrySetResult();
                return ValueTask.CompletedTask;
            },
            TimeSpan.FromDays(1),
            new FakeTimeProvider(),
            hurry.Token,
            CancellationToken.None,
            _ => { });

        await loop.WriteAsync(EngineParts.Done("http://example.com/a"), CancellationToken.None);

        await committed.Task.WaitAsync(Generous);
    }

    [Fact]
    public async Task ACommitThatThrows_StopsTheLoop_TellsTheFault_AndLaterWritesAreRefused()
    {
        var fault = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loop = new CommitLoop(
            _ => throw new IOException("disk gone"),
            TimeSpan.Zero,
            TimeProvider.System,
            CancellationToken.None,
            CancellationToken.None,
            ex => fault.TrySetResult(ex));

        await loop.WriteAsync(EngineParts.Done("http://example.com/a"), CancellationToken.None);

        (await fault.Task.WaitAsync(Generous)).Message.ShouldBe("disk gone");
        await Should.ThrowAsync<ChannelClosedException>(async () => await loop.WriteAsync(EngineParts.Done("http://example.com/b"), CancellationToken.None));
        await loop.DisposeAsync();
    }

    [Fact]
    public async Task ACancelledCommit_AfterAStopAtOnce_EndsTheLoopQuietly()
    {
        using var abort = new CancellationTokenSource();
        await abort.CancelAsync();
        var faults = 0;
        var loop = new CommitLoop(
            _ => throw new OperationCanceledException(abort.Token),
            TimeSpan.Zero,
            TimeProvider.System,
            CancellationToken.None,
            abort.Token,
            _ => faults++);

        await loop.WriteAsync(EngineParts.Done("http://example.com/a"), CancellationToken.None);
        await loop.DisposeAsync();

        faults.ShouldBe(0);
    }

    [Fact]
    public async Task Complete_IsIdempotent_AndWritesAfterItAreRefused()
    {
        var commits = 0;
        var loop = new CommitLoop(
            batch =>
            {
                commits += batch.Count;
                return ValueTask.CompletedTask;
            },
            TimeSpan.Zero,
            TimeProvider.System,
            CancellationToken.None,
            CancellationToken.None,
            _ => { });
        await loop.WriteAsync(EngineParts.Done("http://example.com/a"), CancellationToken.None);

        loop.Complete();
        loop.Complete();
        await loop.DisposeAsync();
        await loop.DisposeAsync();

        commits.ShouldBe(1);
        await Should.ThrowAsync<ChannelClosedException>(async () => await loop.WriteAsync(EngineParts.Done("http://example.com/b"), CancellationToken.None));
    }
}
