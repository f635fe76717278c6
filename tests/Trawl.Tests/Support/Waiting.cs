using System.Diagnostics;

namespace Trawl.Tests.Support;

/// <summary>Waits for something a child process or server does, failing the test once the time is up.</summary>
/// <remarks>
/// The timeout only turns a hang into a failure: give it minutes, never the time the thing should take. Polling starts
/// at 5 ms and backs off to 100 ms, so a long wait on a busy machine does not take CPU from what it waits for.
/// </remarks>
public static class Waiting
{
    /// <summary>Generous enough for anything on a loaded machine; it bounds hangs, it does not measure speed.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromMinutes(2);

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what = "the crawl") =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what);

    /// <param name="condition">What to wait for.</param>
    /// <param name="timeout">How long to wait before failing.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="state">What the failure message shows of the state last seen.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "the crawl", Func<string>? state = null)
    {
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(5);
        while (!await condition())
        {
            Stopwatch.GetElapsedTime(started).ShouldBeLessThan(timeout, $"timed out waiting for {what}{(state is null ? "" : "; last seen:\n" + state())}");
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 100));
        }
    }
}
