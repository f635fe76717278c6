namespace Trawl.Downloader;

/// <summary>
/// Reserves one download's body bytes in the crawl's <see cref="ResponseByteBudget"/>, with the download's timeout
/// stopped while a reservation waits: waiting for other pages to be done with is not the server's slowness.
/// </summary>
/// <param name="share">The request's share of the budget.</param>
/// <param name="timeout">The download's timeout source: it cancels the download when its time is up.</param>
/// <param name="limit">The download's total timeout.</param>
/// <param name="startedAt">When the download started (a <paramref name="time"/> timestamp).</param>
/// <param name="time">The clock of the timeout.</param>
internal sealed class BodyReservations(ResponseByteBudget.Share share, CancellationTokenSource timeout, TimeSpan limit, long startedAt, TimeProvider time)
{
    private TimeSpan _waited;

    /// <summary>Reserves <paramref name="bytes"/>, waiting while the budget is used.</summary>
    /// <exception cref="OperationCanceledException">The download was cancelled, or its time was up before it waited.</exception>
    public ValueTask ReserveAsync(long bytes, CancellationToken cancellationToken) =>
        share.TryReserve(bytes) ? ValueTask.CompletedTask : WaitAsync(bytes, cancellationToken);

    /// <summary>Gives back what was reserved beyond <paramref name="bytes"/>.</summary>
    public void Trim(long bytes) => share.Trim(bytes);

    private async ValueTask WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        var waitStart = time.GetTimestamp();
        try
        {
            await share.ReserveAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waited += time.GetElapsedTime(waitStart);
            if (!timeout.IsCancellationRequested)
            {
                var remaining = limit - (time.GetElapsedTime(startedAt) - _waited);
                timeout.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
            }
        }
    }
}
