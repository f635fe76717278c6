namespace Trawl.Jobs;

/// <summary>
/// Looks at and mends the job directory of a durable crawl (<c>CrawlOptions.JobDir</c>) from outside the crawl: what
/// <c>trawl status DIR</c> and <c>trawl retry-failed DIR</c> do, for a host application that needs the same.
/// </summary>
public static class JobDirectory
{
    /// <summary>
    /// Summarizes the job in <paramref name="directory"/>: requests by status, items, the most common errors, and the
    /// recent rate. It reads without the job's lock, so it works while a crawl runs the job, and never writes to it.
    /// </summary>
    /// <param name="directory">The job directory.</param>
    /// <param name="topErrors">How many distinct errors to list.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The summary, or <see langword="null"/> when the directory holds no job.</returns>
    /// <exception cref="JobDirectoryException">The job database is damaged, foreign, newer, or unreadable.</exception>
    public static Task<JobStatus?> ReadStatusAsync(string directory, int topErrors = 10, CancellationToken cancellationToken = default) =>
        JobStore.ReadStatusAsync(directory, timeProvider: null, topErrors, cancellationToken);

    /// <summary>
    /// Lists the job's failed requests, oldest failure first: URL, error kind and message, last HTTP status, attempts.
    /// Reads as <see cref="ReadStatusAsync"/> does, without the job's lock.
    /// </summary>
    /// <param name="directory">The job directory.</param>
    /// <param name="max">The most requests to list.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The failed requests, or <see langword="null"/> when the directory holds no job.</returns>
    /// <exception cref="JobDirectoryException">The job database is damaged, foreign, newer, or unreadable.</exception>
    public static Task<IReadOnlyList<JobFailedRequest>?> ReadFailedAsync(string directory, int max = 1000, CancellationToken cancellationToken = default) =>
        JobStore.ReadFailedAsync(directory, max, cancellationToken);

    /// <summary>
    /// Throws when <paramref name="output"/> belongs to an unfinished durable job other than the one in
    /// <paramref name="jobDirectory"/>: such a job (paused, killed or running) resumes writing the file, so no other run
    /// may write it. A crawl checks this itself when it starts; a host can check earlier.
    /// </summary>
    /// <param name="output">The output file a run is about to write.</param>
    /// <param name="jobDirectory">The run's own job directory, or <see langword="null"/> for a run without one.</param>
    /// <param name="cancellationToken">Cancels reading the other job.</param>
    /// <exception cref="Items.ItemExportException">
    /// The file belongs to another unfinished job (<see cref="Items.ItemExportProblem.InUse"/>); the message names the job.
    /// </exception>
    public static ValueTask ThrowIfOutputOfAnotherJobAsync(string output, string? jobDirectory, CancellationToken cancellationToken = default) =>
        JobOutputCheck.ThrowIfAnotherJobsAsync(output, jobDirectory, cancellationToken);

    /// <summary>
    /// Moves the job's failed requests back to pending, so that the crawl's next run tries them again (a finished job
    /// counts as unfinished again when there were any).
    /// </summary>
    /// <param name="directory">The job directory.</param>
    /// <param name="cancellationToken">Cancels waiting for the job.</param>
    /// <returns>How many requests are pending again, or <see langword="null"/> when the directory holds no job.</returns>
    /// <exception cref="JobDirectoryException">The job cannot be opened: in use by a crawl, damaged, newer, read-only....</exception>
    public static async Task<long?> RetryFailedAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!File.Exists(Path.Combine(directory, JobSchema.DatabaseFileName)))
        {
            return null;
        }

        var store = await JobStore.OpenAsync(directory, new JobStoreOptions(), cancellationToken).ConfigureAwait(false);
        await using var disposeStore = store.ConfigureAwait(false);
        var moved = await store.RetryFailedAsync(cancellationToken).ConfigureAwait(false);
        if (moved > 0)
        {
            await store.MarkRunningAsync(cancellationToken).ConfigureAwait(false);
        }

        return moved;
    }
}
