namespace Trawl.Tests.Support;

/// <summary>Waits for something a child process or server does, failing the test once the time is up.</summary>
public static class Waiting
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what = "the crawl") =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what);

    /// <param name="condition">What to wait for.</param>
    /// <param name="timeout">How long to wait before failing.</param>
    /// <param name="what">What is waited for, for the failure message.</param>
    /// <param name="state">What the failure message shows of the state last seen.</param>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "the crawl", Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            DateTime.UtcNow.ShouldBeLessThan(deadline, $"timed out waiting for {what}{(state is null ? "" : "; last seen:\n" + state())}");
            await Task.Delay(5);
        }
    }
}
