using Trawl.Downloader;

namespace Trawl.Tests.Downloader;

public sealed class ResponseByteBudgetTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Reservations_ThatFit_AreGrantedAtOnce()
    {
        var budget = new ResponseByteBudget(100);
        using var a = budget.Open();
        using var b = budget.Open();

        var first = a.ReserveAsync(40, None);
        var second = b.ReserveAsync(50, None);

        first.IsCompletedSuccessfully.ShouldBeTrue();
        second.IsCompletedSuccessfully.ShouldBeTrue();
        await first;
        await second;
        budget.InUse.ShouldBe(90);
        a.Held.ShouldBe(40);
        budget.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task Reservation_OverTheBudget_WaitsUntilAnotherShareIsDone()
    {
        var budget = new ResponseByteBudget(100);
        var holder = budget.Open();
        await holder.ReserveAsync(80, None);
        using var late = budget.Open();

        var waiting = late.ReserveAsync(40, None).AsTask();

        waiting.IsCompleted.ShouldBeFalse();
        budget.Waiting.ShouldBe(1);
        holder.Dispose();
        await waiting;
        budget.InUse.ShouldBe(40);
        late.Held.ShouldBe(40);
    }

    [Fact]
    public async Task Reservation_LargerThanTheWholeBudget_ProceedsAlone()
    {
        var budget = new ResponseByteBudget(100);
        var small = budget.Open();
        await small.ReserveAsync(30, None);
        var big = budget.Open();
        using var after = budget.Open();

        var bigWait = big.ReserveAsync(500, None).AsTask();
        bigWait.IsCompleted.ShouldBeFalse();
        small.Dispose();
        await bigWait;
        budget.InUse.ShouldBe(500);

        // While the big one runs over the budget, nothing else starts.
        var afterWait = after.ReserveAsync(1, None).AsTask();
        afterWait.IsCompleted.ShouldBeFalse();
        big.Dispose();
        await afterWait;
        budget.InUse.ShouldBe(1);
    }

    [Fact]
    public async Task EveryHolderWaitingForMore_TheFirstOpenedIsGranted_SoNothingDeadlocks()
    {
        var budget = new ResponseByteBudget(100);
        var first = budget.Open();
        using var second = budget.Open();
        await first.ReserveAsync(60, None);
        await second.ReserveAsync(40, None);

        // Each needs more before it can finish its body and give anything back.
        var firstMore = first.ReserveAsync(30, None).AsTask();
        firstMore.IsCompleted.ShouldBeFalse();
        var secondMore = second.ReserveAsync(30, None).AsTask();

        await firstMore;
        secondMore.IsCompleted.ShouldBeFalse();
        budget.InUse.ShouldBe(130);
        first.Dispose();
        await secondMore;
        budget.InUse.ShouldBe(70);
    }

    [Fact]
    public async Task Waiters_AreServedInTheOrderTheirRequestsStarted_SoSmallOnesDoNotStarveALargeOne()
    {
        var budget = new ResponseByteBudget(100);
        var holder = budget.Open();
        await holder.ReserveAsync(90, None);
        using var large = budget.Open();
        using var small = budget.Open();

        var largeWait = large.ReserveAsync(50, None).AsTask();
        // 5 bytes would fit, but the large body asked first.
        var smallWait = small.ReserveAsync(5, None).AsTask();

        smallWait.IsCompleted.ShouldBeFalse();
        budget.Waiting.ShouldBe(2);
        holder.Dispose();
        await Task.WhenAll(largeWait, smallWait);
        budget.InUse.ShouldBe(55);
    }

    [Fact]
    public async Task CancelledWait_ReservesNothing_AndTheNextWaiterMovesUp()
    {
        var budget = new ResponseByteBudget(100);
        var holder = budget.Open();
        await holder.ReserveAsync(70, None);
        using var cancelled = budget.Open();
        using var next = budget.Open();
        using var cancel = new CancellationTokenSource();

        var cancelledWait = cancelled.ReserveAsync(50, cancel.Token).AsTask();
        var nextWait = next.ReserveAsync(20, None).AsTask();
        nextWait.IsCompleted.ShouldBeFalse();
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(cancelledWait);
        await nextWait;
        cancelled.Held.ShouldBe(0);
        budget.InUse.ShouldBe(90);
        budget.Waiting.ShouldBe(0);
        holder.Dispose();
    }

    [Fact]
    public async Task Trim_GivesBackWhatWasReservedBeyondTheBody_AndDisposeTheRest()
    {
        var budget = new ResponseByteBudget(100);
        var share = budget.Open();
        await share.ReserveAsync(64, None);

        share.Trim(10);
        budget.InUse.ShouldBe(10);
        share.Dispose();
        share.Dispose();

        budget.InUse.ShouldBe(0);
        Should.Throw<ObjectDisposedException>(() => share.TryReserve(1));
    }
}
