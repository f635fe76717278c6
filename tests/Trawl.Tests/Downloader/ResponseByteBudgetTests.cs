using Trawl.Downloader;

namespace Trawl.Tests.Downloader;

public sealed class ResponseByteBudgetTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    // A unit past a body's small allowance, so that every reservation below counts against the budget.
    private const long U = ResponseByteBudget.SmallBody;

    [Fact]
    public async Task Reservations_ThatFit_AreGrantedAtOnce()
    {
        var budget = new ResponseByteBudget(100 * U);
        using var a = budget.Open();
        using var b = budget.Open();

        var first = a.ReserveAsync(40 * U, None);
        var second = b.ReserveAsync(50 * U, None);

        first.IsCompletedSuccessfully.ShouldBeTrue();
        second.IsCompletedSuccessfully.ShouldBeTrue();
        await first;
        await second;
        budget.InUse.ShouldBe(90 * U);
        a.Held.ShouldBe(40 * U);
        budget.Waiting.ShouldBe(0);
    }

    [Fact]
    public async Task Reservation_OverTheBudget_WaitsUntilAnotherShareIsDone()
    {
        var budget = new ResponseByteBudget(100 * U);
        var holder = budget.Open();
        await holder.ReserveAsync(80 * U, None);
        using var late = budget.Open();

        var waiting = late.ReserveAsync(40 * U, None).AsTask();

        waiting.IsCompleted.ShouldBeFalse();
        budget.Waiting.ShouldBe(1);
        holder.Dispose();
        await waiting;
        budget.InUse.ShouldBe(40 * U);
        late.Held.ShouldBe(40 * U);
    }

    [Fact]
    public async Task Reservation_LargerThanTheWholeBudget_ProceedsAlone()
    {
        var budget = new ResponseByteBudget(100 * U);
        var small = budget.Open();
        await small.ReserveAsync(30 * U, None);
        var big = budget.Open();
        using var after = budget.Open();

        var bigWait = big.ReserveAsync(500 * U, None).AsTask();
        bigWait.IsCompleted.ShouldBeFalse();
        small.Dispose();
        await bigWait;
        budget.InUse.ShouldBe(500 * U);

        // While the big one runs over the budget, nothing else past its small allowance goes on.
        var afterWait = after.ReserveAsync(2 * U, None).AsTask();
        afterWait.IsCompleted.ShouldBeFalse();
        big.Dispose();
        await afterWait;
        budget.InUse.ShouldBe(2 * U);
    }

    [Fact]
    public async Task EveryHolderWaitingForMore_TheFirstOpenedIsGranted_SoNothingDeadlocks()
    {
        var budget = new ResponseByteBudget(100 * U);
        var first = budget.Open();
        using var second = budget.Open();
        await first.ReserveAsync(60 * U, None);
        await second.ReserveAsync(40 * U, None);

        // Each needs more before it can finish its body and give anything back.
        var firstMore = first.ReserveAsync(30 * U, None).AsTask();
        firstMore.IsCompleted.ShouldBeFalse();
        var secondMore = second.ReserveAsync(30 * U, None).AsTask();

        await firstMore;
        secondMore.IsCompleted.ShouldBeFalse();
        budget.InUse.ShouldBe(130 * U);
        first.Dispose();
        await secondMore;
        budget.InUse.ShouldBe(70 * U);
    }

    [Fact]
    public async Task Waiters_AreServedInTheOrderTheirRequestsStarted_SoLaterOnesDoNotStarveALargeOne()
    {
        var budget = new ResponseByteBudget(100 * U);
        var holder = budget.Open();
        await holder.ReserveAsync(90 * U, None);
        using var large = budget.Open();
        using var small = budget.Open();

        var largeWait = large.ReserveAsync(50 * U, None).AsTask();
        // 5 units would fit, but the large body asked first.
        var smallWait = small.ReserveAsync(5 * U, None).AsTask();

        smallWait.IsCompleted.ShouldBeFalse();
        budget.Waiting.ShouldBe(2);
        holder.Dispose();
        await Task.WhenAll(largeWait, smallWait);
        budget.InUse.ShouldBe(55 * U);
    }

    [Fact]
    public async Task SmallBodies_NeverWait_EvenBehindALargeOne_ButAreCounted()
    {
        var budget = new ResponseByteBudget(10 * U);
        var holder = budget.Open();
        await holder.ReserveAsync(10 * U, None);
        using var large = budget.Open();
        using var small = budget.Open();
        var largeWait = large.ReserveAsync(4 * U, None).AsTask();

        var smallReserve = small.ReserveAsync(U - 1, None);

        smallReserve.IsCompletedSuccessfully.ShouldBeTrue();
        await smallReserve;
        small.TryReserve(1).ShouldBeTrue();
        small.TryReserve(1).ShouldBeFalse();
        budget.InUse.ShouldBe(11 * U);
        largeWait.IsCompleted.ShouldBeFalse();
        holder.Dispose();
        await largeWait;
        budget.InUse.ShouldBe(5 * U);
    }

    [Fact]
    public async Task CancelledWait_ReservesNothing_AndTheNextWaiterMovesUp()
    {
        var budget = new ResponseByteBudget(100 * U);
        var holder = budget.Open();
        await holder.ReserveAsync(70 * U, None);
        using var cancelled = budget.Open();
        using var next = budget.Open();
        using var cancel = new CancellationTokenSource();

        var cancelledWait = cancelled.ReserveAsync(50 * U, cancel.Token).AsTask();
        var nextWait = next.ReserveAsync(20 * U, None).AsTask();
        nextWait.IsCompleted.ShouldBeFalse();
        await cancel.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(cancelledWait);
        await nextWait;
        cancelled.Held.ShouldBe(0);
        budget.InUse.ShouldBe(90 * U);
        budget.Waiting.ShouldBe(0);
        holder.Dispose();
    }

    [Fact]
    public async Task Trim_GivesBackWhatWasReservedBeyondTheBody_AndDisposeTheRest()
    {
        var budget = new ResponseByteBudget(100 * U);
        var share = budget.Open();
        await share.ReserveAsync(64 * U, None);

        share.Trim(10 * U);
        budget.InUse.ShouldBe(10 * U);
        share.Dispose();
        share.Dispose();

        budget.InUse.ShouldBe(0);
        Should.Throw<ObjectDisposedException>(() => share.TryReserve(1));
    }
}
