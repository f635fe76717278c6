using Trawl.Items;

namespace Trawl.Jobs;

/// <summary>
/// Before a job resumes writing its output: the file must hold no more items than the job can write again. A job
/// whose database lost commits (its write-ahead log deleted after a crash, say) would otherwise cut the file back to
/// its last record of it, or empty it, and lose items it no longer has.
/// </summary>
internal static class JobOutputCheck
{
    /// <summary>Throws when the output holds complete items past the job's record of it that the job does not hold.</summary>
    /// <exception cref="JobDirectoryException">The file is ahead of the job (<see cref="JobDirectoryProblem.OutputAhead"/>).</exception>
    public static async ValueTask ThrowIfAheadAsync(JobStore store, string output, CancellationToken cancellationToken)
    {
        var fullPath = Path.GetFullPath(output);

        // Another crawl in this process writes it: the output's own open refuses this run, and reading the file here
        // would drop that crawl's lock on it.
        if (ExportFile.IsClaimedHere(fullPath) || new FileInfo(fullPath) is not { Exists: true, Length: > 0 } file)
        {
            return;
        }

        ItemFormat format;
        try
        {
            format = ItemExporters.FormatOf(fullPath);
        }
        catch (ArgumentException)
        {
            return;
        }

        // A checkpoint at sequence 0 is where the job began writing the file (what was there before is not the job's).
        // Without one, the job has not written the file, unless its mark says it has (the job lost the checkpoint with
        // other commits): a file the job never wrote is appended to, never cut, so nothing in it is at risk.
        var checkpoint = await store.Frontier.GetExportCheckpointAsync(fullPath, cancellationToken).ConfigureAwait(false);
        if (!checkpoint.IsRecorded && !string.Equals(OutputOwner.Read(fullPath) is { } owner ? Normalize(owner) : null, Normalize(store.Directory), StringComparison.Ordinal))
        {
            return;
        }

        var recorded = checkpoint.Position;
        if (file.Length <= recorded)
        {
            return;
        }

        long inFile;
        try
        {
            inFile = OutputItems.CountAfter(fullPath, format, recorded);
        }
        catch (Exception ex) when (ExportFile.IsIoFailure(ex))
        {
            // Opening the output says what is wrong with it.
            return;
        }

        if (inFile == 0)
        {
            return;
        }

        // Items a pipeline dropped are in the job and not in the file, so the job may hold more; never fewer.
        var inJob = await store.RunAsync(db => db.CountItemsAfter(checkpoint.Sequence), cancellationToken).ConfigureAwait(false);
        if (inFile > inJob)
        {
            throw JobDirectoryException.OutputAhead(store.Directory, fullPath, inFile, inJob, recorded, checkpoint.IsRecorded);
        }
    }

    /// <summary>
    /// Throws when the mark beside <paramref name="output"/> names an unfinished job, other than
    /// <paramref name="ownJob"/>, that is writing it: that job resumes writing the file, so no other run may.
    /// </summary>
    /// <exception cref="ItemExportException">The file is another job's (<see cref="ItemExportProblem.InUse"/>); the message names the job.</exception>
    public static async ValueTask ThrowIfAnotherJobsAsync(string output, string? ownJob, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        var fullPath = Path.GetFullPath(output);
        if (OutputOwner.Read(fullPath) is not { } owner
            || (ownJob is not null && string.Equals(Normalize(owner), Normalize(ownJob), StringComparison.Ordinal)))
        {
            return;
        }

        JobStatus? status;
        try
        {
            status = await JobStore.ReadStatusAsync(owner, topErrors: 0, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (JobDirectoryException ex)
        {
            throw AnotherJobs(fullPath, owner, $"its job database cannot be read ({ex.Message.TrimEnd('.')})");
        }

        // A mark left by a job that is gone, finished, or never wrote this file (a job started again with --fresh) means nothing.
        if (status is null || status.Metadata.IsFinished || !status.Outputs.Any(o => string.Equals(o.Path, fullPath, StringComparison.Ordinal)))
        {
            return;
        }

        var counts = status.Counts;
        var what = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"spider '{status.Metadata.SpiderName ?? "?"}', {counts.Done:N0} pages done, {counts.Pending + counts.InProgress:N0} to go, {status.Items:N0} items");

        // A job running now is named as the writer; a paused or killed one as the job that resumes writing the file.
        ExportFile.ThrowIfHeld(fullPath, $"the job in {owner}: {what}");
        throw AnotherJobs(fullPath, owner, what);
    }

    private static string Normalize(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    private static ItemExportException AnotherJobs(string fullPath, string owner, string what) =>
        new(
            fullPath,
            $"Cannot write items to '{fullPath}': it is the output of the unfinished job in {owner} ({what}), which resumes writing it. " +
            $"Resume that job with the command that started it, or give this run another -o. 'trawl status {owner}' shows the job; " +
            $"to give it up, run its command with --fresh or remove that directory (the mark {OutputOwner.MarkPath(fullPath)} then means nothing).",
            null)
        {
            Problem = ItemExportProblem.InUse,
        };
}
