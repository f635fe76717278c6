using Trawl.Engine;
using Trawl.Politeness;

namespace Trawl.Tests.Engine;

public sealed class DomainGatePermitsTests
{
    [Fact]
    public async Task AGrantedPermit_IsAcquired_AndGivenBackOnRelease()
    {
        var gate = new FakeDomainGate();
        using var lifetime = EngineParts.Lifetime();
        var permits = new DomainGatePermits(gate, lifetime, TimeProvider.System);

        (await permits.TryAcquireAsync("example.com")).Acquired.ShouldBeTrue();
        await permits.ReleaseAsync("example.com");

        gate.Acquired.ShouldBe(1);
        gate.Released.ShouldBe(1);
    }

    [Fact]
    public async Task ARefusal_SaysHowLongToWait_NeverLessThanTheFloor()
    {
        var gate = new FakeDomainGate((_, attempt) => attempt == 1 ? TimeSpan.FromSeconds(2) : TimeSpan.Zero);
        using var lifetime = EngineParts.Lifetime();
        var permits = new DomainGatePermits(gate, lifetime, TimeProvider.System);

        var first = await permits.TryAcquireAsync("example.com");
        var second = await permits.TryAcquireAsync("example.com");

        first.ShouldBe(new DomainPermit(false, TimeSpan.FromSeconds(2)));
        second.Acquired.ShouldBeFalse();
        second.RetryAfter.ShouldBeGreaterThan(TimeSpan.Zero, "a gate answering 'now' must not spin the dispatcher");
    }

    [Fact]
    public async Task APermitGrantedWhileThePauseBegan_IsGivenBackAtOnce()
    {
        using var pause = new CancellationTokenSource();
        var gate = new FakeDomainGate(onTry: (_, _) => pause.Cancel());
        using var lifetime = EngineParts.Lifetime(pause: pause.Token);
        var permits = new DomainGatePermits(gate, lifetime, TimeProvider.System);

        var permit = await permits.TryAcquireAsync("example.com");

        permit.Acquired.ShouldBeFalse();
        gate.Acquired.ShouldBe(1);
        gate.Released.ShouldBe(1);
    }

    [Fact]
    public async Task AGateThatThrows_StopsTheRunWithItsError()
    {
        using var lifetime = EngineParts.Lifetime();
        var permits = new DomainGatePermits(new ThrowingGate(), lifetime, TimeProvider.System);

        var permit = await permits.TryAcquireAsync("example.com");

        permit.ShouldBe(default);
        lifetime.Fatal.ShouldNotBeNull().Message.ShouldBe("gate down");
        lifetime.IsPausing.ShouldBeTrue();
        (await permits.AcquireWaitingAsync("example.com")).ShouldBeFalse();
    }

    [Fact]
    public async Task AcquireWaiting_TriesAgainAfterEachRefusal_UntilGranted()
    {
        var gate = new FakeDomainGate((_, attempt) => attempt <= 2 ? TimeSpan.FromMilliseconds(1) : null);
        using var lifetime = EngineParts.Lifetime();
        var permits = new DomainGatePermits(gate, lifetime, TimeProvider.System);

        (await permits.AcquireWaitingAsync("example.com").WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeTrue();

        gate.Tries.Select(t => t.Acquired).ShouldBe([false, false, true]);
    }

    [Fact]
    public async Task AcquireWaiting_GivesUpWhenTheRunPauses()
    {
        using var pause = new CancellationTokenSource();
        var gate = new FakeDomainGate((_, _) => TimeSpan.FromDays(1));
        using var lifetime = EngineParts.Lifetime(pause: pause.Token);
        var permits = new DomainGatePermits(gate, lifetime, TimeProvider.System);

        var waiting = permits.AcquireWaitingAsync("example.com");
        await pause.CancelAsync();

        (await waiting.WaitAsync(TimeSpan.FromSeconds(30))).ShouldBeFalse();
        lifetime.Fatal.ShouldBeNull();
    }

    private sealed class ThrowingGate : IDomainGate
    {
        public ValueTask<DomainPermit> TryAcquireAsync(string domain, CancellationToken cancellationToken) => throw new InvalidOperationException("gate down");

        public ValueTask ReleaseAsync(string domain, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
