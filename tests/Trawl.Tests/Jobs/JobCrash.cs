using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>Simulates the death of the process holding a job, as far as can be done inside the test process.</summary>
internal static class JobCrash
{
    private const int NoCheckpointOnClose = 1006; // SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE

    /// <summary>
    /// Abandons a job store the way <c>kill -9</c> would: nothing is released, flushed or checkpointed. The connection
    /// closes without folding the write-ahead log into the database, so the log and its index stay on disk for the next
    /// open to recover, and the lock file's handle closes as the OS closes a dead process's files.
    /// </summary>
    public static async Task SimulateAsync(JobStore store)
    {
        await store.RunForTestsAsync(db => SQLitePCL.raw.sqlite3_db_config(db.Connection.Handle, NoCheckpointOnClose, 1, out _));
        await store.DisposeAsync();
    }
}
