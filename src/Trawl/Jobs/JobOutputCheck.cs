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

        var checkpoint = await store.Frontier.GetExportCheckpointAsync(fullPath, cancellationToken).ConfigureAwait(false);
        var recorded = checkpoint.Sequence > 0 ? checkpoint.Position : 0;
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
            throw JobDirectoryException.OutputAhead(store.Directory, fullPath, inFile, inJob, recorded, checkpoint.Sequence > 0);
        }
    }
}
