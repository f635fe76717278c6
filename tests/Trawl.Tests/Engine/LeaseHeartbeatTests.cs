using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class LeaseHeartbeatTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Fact]
    public void AFrontierWhoseLeasesNeverExpire_GetsNoHeartbeat()
    {
        LeaseHeartbeat.For(new MemoryFrontier(), TimeProvider.System, NullLogger.Instance, _ => { }).ShouldBeNull();
        LeaseHeartbeat.For(new RenewalRecorder(Timeout.InfiniteTimeSpan), TimeProvider.System, NullLogger.Instance, _ => { }).ShouldBeNull();
    }

    [Fact]
    public async Task HeldLeases_AreRenewedEveryThirdOfTheLease_UntilForgotten()
    {
        var time = new FakeTimeProvider();
        var frontier = new RenewalRecorder(TimeSpan.FromSeconds(30));
        await using var heartbeat = LeaseHeartbeat.For(frontier, time, NullLogger.Instance, ex => throw new InvalidOperationException("no fault expected", ex))!;
        var a = EngineParts.Lease("http://example.com/a");
        var b = EngineParts.Lease("http://example.com/b");
        heartbeat.Interval.ShouldBe(TimeSpan.FromSeconds(10));
        heartbeat.Hold(a);
        heartbeat.Hold(b);
        heartbeat.Start();

        time.Advance(TimeSpan.FromSeconds(10));
        await Waiting.UntilAsync(() => frontier.Renewals.Count == 1, Generous, "the first renewal");
        heartbeat.Forget(a);
        time.Advance(TimeSpan.FromSeconds(10));
        await Waiting.UntilAsync(() => frontier.Renewals.Count == 2, Generous, "the second renewal");

        frontier.Renewals[0].ShouldBe([a, b], ignoreOrder: true);
        frontier.Renewals[1].ShouldBe([b]);
        heartbeat.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ARenewalThatFails_TellsTheFault_AndTheHeartbeatStops()
    {
        var time = new FakeTimeProvider();
        var frontier = new RenewalRecorder(TimeSpan.FromSeconds(3)) { Failure = new IOException("Redis gone") };
        var fault = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var heartbeat = LeaseHeartbeat.For(frontier, time, NullLogger.Instance, ex => fault.TrySetResult(ex))!;
        heartbeat.Hold(EngineParts.Lease("http://example.com/a"));
        heartbeat.Start();

        time.Advance(TimeSpan.FromSeconds(1));

        (await fault.Task.WaitAsync(Generous)).Message.ShouldBe("Redis gone");
        await heartbeat.DisposeAsync();
    }

    /// <summary>A frontier whose leases expire, which records the leases renewed at each call.</summary>
    private sealed class RenewalRecorder(TimeSpan leaseDuration) : IFrontier, IExpiringLeases
    {
        private readonly List<Lease[]> _renewals = [];

        public TimeSpan LeaseDuration => leaseDuration;

        public Exception? Failure { get; init; }

        public IReadOnlyList<Lease[]> Renewals
        {
            get
            {
                lock (_renewals)
                {
                    return [.. _renewals];
                }
            }
        }

        public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken)
        {
            if (Failure is { } failure)
            {
                return ValueTask.FromException(failure);
            }

            lock (_renewals)
            {
                _renewals.Add([.. leases]);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

public sealed class BackgroundLoopTests
{
    [Fact]
    public async Task ALoop_StartsOnce_AndDisposingStopsItAndWaits_Once()
    {
        var starts = 0;
        var ended = false;
        var loop = new BackgroundLoop();

        for (var i = 0; i < 2; i++)
        {
            loop.Start(async cancellationToken =>
            {
                Interlocked.Increment(ref starts);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    ended = true;
                }
            });
        }

        await loop.DisposeAsync();
        await loop.DisposeAsync();

        starts.ShouldBe(1);
        ended.ShouldBeTrue();
    }

    [Fact]
    public async Task ALoopNeverStarted_IsDisposedWithoutWaiting()
    {
        var loop = new BackgroundLoop();

        await loop.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
