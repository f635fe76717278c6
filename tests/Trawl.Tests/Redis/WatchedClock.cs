using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>
/// A <see cref="FakeTimeProvider"/> seen through a window that tells a test when the code under test starts waiting on
/// it, so the test moves the clock only once that wait has begun, however slowly the machine gets there.
/// </summary>
public sealed class WatchedClock(FakeTimeProvider inner) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<(Func<TimeSpan, bool> Due, TaskCompletionSource Created)> _watches = [];

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    /// <summary>Completes when a timer due after <paramref name="due"/> is next created: someone waits that long.</summary>
    public Task TimerCreated(TimeSpan due) => TimerCreated(d => d == due);

    /// <summary>Completes when a timer whose due time matches <paramref name="due"/> is next created.</summary>
    public Task TimerCreated(Func<TimeSpan, bool> due)
    {
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _watches.Add((due, created));
        }

        return created.Task;
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = inner.CreateTimer(callback, state, dueTime, period);
        lock (_gate)
        {
            foreach (var watch in _watches.Where(w => w.Due(dueTime)).ToList())
            {
                _watches.Remove(watch);
                watch.Created.TrySetResult();
            }
        }

        return timer;
    }
}
