namespace Trawl.Frontier;

/// <summary>The wait every frontier's <see cref="IFrontier.WaitToLeaseAsync"/> needs: until something changes, or a retry falls due or a lease expires.</summary>
internal static class FrontierWait
{
    /// <summary>Returns when <paramref name="changed"/> completes or <paramref name="delay"/> has passed, whichever is first.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task ChangeOrDelayAsync(Task changed, TimeSpan delay, TimeProvider time, CancellationToken cancellationToken)
    {
        try
        {
            await changed.WaitAsync(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The delay passed first: the caller looks again.
        }
    }
}
