using System.Globalization;
using Microsoft.Data.Sqlite;
using Trawl.FileSystem;

namespace Trawl.Jobs;

/// <summary>
/// A job directory: the whole state of a durable crawl, in one SQLite database (<c>DIR/job.db</c>) written through as
/// the crawl goes, and a lock file (<c>DIR/lock</c>) that keeps a second process out. Kill the process at any moment,
/// open the directory again, and the crawl continues from its last committed batch.
/// </summary>
/// <remarks>
/// <para>The frontier over the job is <see cref="Frontier"/>; it shares this store's single connection. Every
/// database call of both is serialized, and every write is one transaction. The schema is described on
/// <c>JobSchema</c> (internal); in short: <c>meta</c>, <c>requests</c>, <c>counts</c>, <c>items</c>, <c>exports</c> and
/// <c>kv</c>.</para>
/// <para>Memory stays flat however large the job grows: the pending queue and the seen set live only in the database,
/// and SQLite's page cache is bounded (<see cref="JobStoreOptions.PageCacheBytes"/>).</para>
/// <para>Nothing is restored into the crawl by the store itself: the caller loads spider state and cookies
/// with <see cref="LoadSpiderStateAsync"/> and <see cref="LoadCookiesAsync"/>, and saves
/// them with each completion batch (<see cref="SqliteFrontier.CompleteAsync(IReadOnlyList{Trawl.Frontier.Completion}, JobStateUpdate?, CancellationToken)"/>
/// or <see cref="SetPendingState"/>) so they never diverge from the progress they describe.</para>
/// <para>Disposing the store, or its <see cref="Frontier"/>, closes the job: the connection and the lock file.</para>
/// </remarks>
/// <example>
/// <code>
/// await using var job = await JobStore.OpenAsync("jobs/quotes", new JobStoreOptions { SpiderName = "quotes" }, ct);
/// if (job.IsNew)
/// {
///     await job.Frontier.AddAsync(startRequests, ct);
/// }
/// else if (await job.LoadSpiderStateAsync(ct) is { } json)
/// {
///     spider.State.LoadJson(json);
/// }
///
/// // ... lease, fetch, parse, then commit each batch with the state it leads to:
/// var result = await job.Frontier.CompleteAsync(batch, new JobStateUpdate(SpiderStateJson: spider.State.ToJson()), ct);
/// </code>
/// </example>
internal sealed class JobStore : IAsyncDisposable
{
    /// <summary>The job directories open in this process, so a status read never opens and closes a raw handle on a
    /// database this process holds: closing any handle on a file drops the process's SQLite (POSIX) locks on it.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> OpenHere = new(StringComparer.Ordinal);

    private readonly JobDatabase _database;
    private readonly JobDirectoryLock _lock;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _pendingGate = new();
    private JobStateUpdate? _pendingState;
    private bool _disposed;

    private JobStore(string directory, JobDatabase database, JobDirectoryLock directoryLock, JobStoreOptions options, long leaseEpoch)
    {
        Directory = directory;
        _database = database;
        _lock = directoryLock;
        TimeProvider = options.TimeProvider;
        Frontier = new SqliteFrontier(this, options.LeaseDuration, leaseEpoch, options.SeenCacheSize);
        OpenHere[directory] = 0;
    }

    /// <summary>The job directory, as a full path.</summary>
    public string Directory { get; }

    /// <summary>The frontier of this job, which is also its item log.</summary>
    public SqliteFrontier Frontier { get; }

    /// <summary>Whether <see cref="OpenAsync"/> created a new job (rather than resuming one).</summary>
    public bool IsNew { get; private init; }

    /// <summary>Whether the job had been marked finished (<see cref="MarkFinishedAsync"/>) when it was opened.</summary>
    public bool WasFinished { get; private init; }

    /// <summary>The settings fingerprint recorded in the job when it was opened; for a new job, the one just recorded.</summary>
    public string? PreviousSettingsFingerprint { get; private init; }

    /// <summary>The spider name recorded in the job when it was opened; for a new job, the one just recorded.</summary>
    public string? PreviousSpiderName { get; private init; }

    /// <summary>How many requests were in progress when the previous process stopped, and went back to pending.</summary>
    public long RecoveredLeases { get; private init; }

    internal TimeProvider TimeProvider { get; }

    /// <summary>
    /// Opens the job in <paramref name="directory"/>, creating the directory and a new job when there is none, and
    /// resuming the job otherwise: requests that were in progress go back to pending, without counting an attempt.
    /// </summary>
    /// <remarks>
    /// <para>An existing <c>job.db</c> is checked through a read-only connection before anything writes to it: its
    /// header, its format version, and SQLite's <c>PRAGMA quick_check</c> (over the whole database up to
    /// <see cref="JobStoreOptions.FullCheckMaxBytes"/>). When a check fails the files are left exactly as they were.</para>
    /// <para>Schedule the start requests only when <see cref="IsNew"/>: on resume they were scheduled already, and
    /// those with <see cref="Http.Request.DontFilter"/> would be scheduled twice.</para>
    /// <para>When the open fails, whatever it created (the directory and its parents, the lock file, a new database)
    /// is removed again, and an existing job is left as it was.</para>
    /// </remarks>
    /// <exception cref="JobDirectoryException">The directory is in use by another process, or its job cannot be used (a
    /// read-only or full disk among the reasons); the message says why and what to do.</exception>
    public static async Task<JobStore> OpenAsync(string directory, JobStoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

        // Opening does blocking file and SQLite work, up to an integrity check of the whole database.
        await Task.Yield();
        return Open(directory, options, cancellationToken);
    }

    private static JobStore Open(string directory, JobStoreOptions options, CancellationToken cancellationToken)
    {
        // Whatever this call creates (directories, the lock file, a new database) it removes again when the open fails,
        // so a refused job directory (a read-only or full disk, say) is left exactly as it was found.
        var createdDirectory = CreateDirectory(directory);
        var lockPath = Path.Combine(directory, JobSchema.LockFileName);
        var createdLock = !File.Exists(lockPath);
        JobDirectoryLock? directoryLock = null;
        JobDatabase? database = null;
        var isNew = false;
        var path = Path.Combine(directory, JobSchema.DatabaseFileName);
        var hadLog = true;
        try
        {
            directoryLock = JobDirectoryLock.Acquire(directory);
            hadLog = File.Exists(path + "-wal") || File.Exists(path + "-shm");
            cancellationToken.ThrowIfCancellationRequested();
            var time = options.TimeProvider;
            if (System.IO.Directory.Exists(path))
            {
                throw JobDirectoryException.Unreadable(directory, $"{JobSchema.DatabaseFileName} is a directory, not a file", null);
            }

            isNew = !File.Exists(path);
            JobDatabase.Inspection? inspection = null;
            if (isNew)
            {
                CreateDatabase(directory, path, options, time.GetUtcNow());
            }
            else
            {
                JobDatabaseFile.Inspect(directory, path);
                inspection = JobDatabase.Inspect(directory, path, options);
            }

            cancellationToken.ThrowIfCancellationRequested();
            (long Recovered, long Epoch) recovery;
            try
            {
                database = JobDatabase.Open(path, options);
                recovery = database.Recover(time.GetUtcNow().ToUnixTimeMilliseconds());
            }
            catch (SqliteException ex)
            {
                throw JobDatabase.TranslateOpenError(directory, ex);
            }

            return new JobStore(directory, database, directoryLock, options, recovery.Epoch)
            {
                IsNew = isNew,
                WasFinished = inspection?.IsFinished ?? false,
                PreviousSettingsFingerprint = inspection is null ? options.SettingsFingerprint : inspection.SettingsFingerprint,
                PreviousSpiderName = inspection is null ? options.SpiderName : inspection.SpiderName,
                RecoveredLeases = recovery.Recovered,
            };
        }
        catch
        {
            database?.Dispose();

            // An open that failed before its first write (a full disk) can leave SQLite's empty log and its index behind.
            var emptyLog = !hadLog && new FileInfo(path + "-wal") is { Exists: true, Length: 0 };
            RemoveLeftovers(directory, createdDirectory, directoryLock, createdLock, isNew, emptyLog);
            throw;
        }
    }

    /// <summary>Creates the job directory; returns the outermost directory this created, or <see langword="null"/> when it existed.</summary>
    private static string? CreateDirectory(string directory)
    {
        string? outermost = null;
        for (var current = directory; current is not null && !System.IO.Directory.Exists(current) && !File.Exists(current); current = Path.GetDirectoryName(current))
        {
            outermost = current;
        }

        try
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RemoveEmptyDirectories(directory, outermost);
            throw FileErrors.IsDiskFull(ex) ? JobDirectoryException.DiskFull(directory, ex) : JobDirectoryException.Unwritable(directory, ex.Message, ex);
        }

        return outermost;
    }

    // Best effort: a leftover that cannot be removed is harmless, and the error being reported matters more.
    private static void RemoveLeftovers(string directory, string? createdDirectory, JobDirectoryLock? directoryLock, bool createdLock, bool isNew, bool emptyLog)
    {
        try
        {
            if (directoryLock is not null)
            {
                // Only while the lock is held is nobody else writing in the directory.
                string[] leftovers = isNew
                    ? [JobSchema.NewDatabaseFileName, JobSchema.NewDatabaseFileName + "-wal", JobSchema.NewDatabaseFileName + "-shm", JobSchema.NewDatabaseFileName + "-journal",
                        JobSchema.DatabaseFileName, JobSchema.DatabaseFileName + "-wal", JobSchema.DatabaseFileName + "-shm", JobSchema.DatabaseFileName + "-journal"]
                    : emptyLog ? [JobSchema.DatabaseFileName + "-wal", JobSchema.DatabaseFileName + "-shm"] : [];
                foreach (var name in leftovers)
                {
                    File.Delete(Path.Combine(directory, name));
                }

                if (createdLock)
                {
                    File.Delete(Path.Combine(directory, JobSchema.LockFileName));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
        finally
        {
            directoryLock?.Dispose();
        }

        RemoveEmptyDirectories(directory, createdDirectory);
    }

    /// <summary>Removes <paramref name="directory"/> and its parents up to <paramref name="outermost"/>, while they are empty.</summary>
    private static void RemoveEmptyDirectories(string directory, string? outermost)
    {
        if (outermost is null)
        {
            return;
        }

        try
        {
            for (var current = directory; current is not null && current.Length >= outermost.Length; current = Path.GetDirectoryName(current))
            {
                if (!System.IO.Directory.Exists(current) || System.IO.Directory.EnumerateFileSystemEntries(current).Any())
                {
                    return;
                }

                System.IO.Directory.Delete(current);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void CreateDatabase(string directory, string path, JobStoreOptions options, DateTimeOffset now)
    {
        // Build the database beside its final name and rename it into place once complete, so job.db either does not
        // exist or is a whole job. A leftover from a creation that was interrupted is ours to discard.
        var building = Path.Combine(directory, JobSchema.NewDatabaseFileName);
        try
        {
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            {
                File.Delete(building + suffix);
            }

            JobDatabase.Create(building, options, now);
            File.Move(building, path);
        }
        catch (SqliteException ex)
        {
            throw JobDatabase.TranslateOpenError(directory, ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw FileErrors.IsDiskFull(ex)
                ? JobDirectoryException.DiskFull(directory, ex)
                : JobDirectoryException.Unwritable(directory, $"cannot create {JobSchema.DatabaseFileName}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Moves a job directory aside to <c>DIR.bak-yyyyMMddHHmmss</c> (with a numeric suffix if that exists), for
    /// <c>--fresh</c>. Returns the new path, or <see langword="null"/> when there was no directory.
    /// </summary>
    /// <exception cref="JobDirectoryException">Another process has the job open.</exception>
    public static Task<string?> MoveAsideAsync(string directory, TimeProvider timeProvider, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        cancellationToken.ThrowIfCancellationRequested();
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!System.IO.Directory.Exists(directory))
        {
            return Task.FromResult<string?>(null);
        }

        // Hold the lock while moving, so a running crawl's directory is never pulled from under it.
        using (JobDirectoryLock.Acquire(directory))
        {
            var stamp = timeProvider.GetUtcNow().UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
            var target = $"{directory}.bak-{stamp}";
            for (var n = 1; System.IO.Directory.Exists(target) || File.Exists(target); n++)
            {
                target = $"{directory}.bak-{stamp}-{n}";
            }

            try
            {
                System.IO.Directory.Move(directory, target);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw JobDirectoryException.Unwritable(directory, $"cannot move it to {target}: {ex.Message}", ex);
            }

            return Task.FromResult<string?>(target);
        }
    }

    /// <summary>
    /// Deletes a job: its database, the database's log files and the lock file, then the directory if nothing else is
    /// in it. Other files (an output written into the directory, say) are kept. Returns whether there was a job.
    /// </summary>
    /// <exception cref="JobDirectoryException">Another process has the job open.</exception>
    public static Task<bool> DeleteAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        cancellationToken.ThrowIfCancellationRequested();
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var database = Path.Combine(directory, JobSchema.DatabaseFileName);
        if (!File.Exists(database))
        {
            return Task.FromResult(false);
        }

        try
        {
            // The lock file goes last, while still held, so no other process can take the job half-deleted.
            using (JobDirectoryLock.Acquire(directory))
            {
                foreach (var name in new[] { "job.db-wal", "job.db-shm", "job.db-journal", JobSchema.DatabaseFileName, JobSchema.NewDatabaseFileName, JobSchema.LockFileName })
                {
                    File.Delete(Path.Combine(directory, name));
                }
            }

            if (!System.IO.Directory.EnumerateFileSystemEntries(directory).Any())
            {
                System.IO.Directory.Delete(directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw JobDirectoryException.Unwritable(directory, $"cannot delete the job: {ex.Message}", ex);
        }

        return Task.FromResult(true);
    }

    // ---- Spider state and cookies ---------------------------------------------------------------------------------

    /// <summary>Reads the spider state saved last, or <see langword="null"/> for none.</summary>
    public ValueTask<string?> LoadSpiderStateAsync(CancellationToken cancellationToken) => LoadValueAsync("spider_state", cancellationToken);

    /// <summary>Reads the cookie jar saved last, or <see langword="null"/> for none.</summary>
    public ValueTask<string?> LoadCookiesAsync(CancellationToken cancellationToken) => LoadValueAsync("cookies", cancellationToken);

    /// <summary>Saves the spider state, the cookies or both now, in one transaction.</summary>
    public ValueTask SaveStateAsync(JobStateUpdate state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return RunAsync(db =>
        {
            db.SaveState(state);
            return 0;
        }, cancellationToken).AsNonGeneric();
    }

    /// <summary>
    /// Stages state to be written by the next <see cref="SqliteFrontier.CompleteAsync(IReadOnlyList{Trawl.Frontier.Completion}, CancellationToken)"/>,
    /// in the same transaction as its completions. Staging again before then replaces the staged values (members that
    /// are <see langword="null"/> keep the earlier ones). If that commit fails, the state stays staged for the next.
    /// </summary>
    public void SetPendingState(JobStateUpdate state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_pendingGate)
        {
            _pendingState = JobStateUpdate.Merge(_pendingState, state);
        }
    }

    internal JobStateUpdate? TakePendingState(JobStateUpdate? explicitState)
    {
        lock (_pendingGate)
        {
            var state = JobStateUpdate.Merge(_pendingState, explicitState);
            _pendingState = null;
            return state;
        }
    }

    internal void RestorePendingState(JobStateUpdate? state)
    {
        lock (_pendingGate)
        {
            // Anything staged meanwhile is newer and wins.
            _pendingState = JobStateUpdate.Merge(state, _pendingState);
        }
    }

    // ---- Metadata and status -----------------------------------------------------------------------------------------

    /// <summary>Reads what the job is: spider, settings fingerprint, start URLs, times and whether it finished.</summary>
    public ValueTask<JobMetadata> GetMetadataAsync(CancellationToken cancellationToken) =>
        RunAsync(static db => ReadMetadata(db), cancellationToken);

    /// <summary>Records the spider's name.</summary>
    public ValueTask SetSpiderNameAsync(string name, CancellationToken cancellationToken) => SetMetaAsync("spider", name, cancellationToken);

    /// <summary>Records the fingerprint of the settings the job now runs with.</summary>
    public ValueTask SetSettingsFingerprintAsync(string fingerprint, CancellationToken cancellationToken) =>
        SetMetaAsync("settings_fingerprint", fingerprint, cancellationToken);

    /// <summary>
    /// Marks the crawl as run to its end. Adding requests does not unmark it; <see cref="RetryFailedAsync"/> (when it
    /// finds failed requests) and <see cref="MarkRunningAsync"/> do.
    /// </summary>
    public ValueTask MarkFinishedAsync(CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return RunAsync(db =>
        {
            db.MarkFinished(now);
            return 0;
        }, cancellationToken).AsNonGeneric();
    }

    /// <summary>
    /// Starts a re-run of the finished job: marks it running and records when the re-run began (<see cref="ReadRerunAsync"/>
    /// gives it back to a run that resumes it), with its start requests still to be stored
    /// (<see cref="RerunStartsStoredAsync"/>); pages fetched before <paramref name="requeueFetchedBefore"/>, if given, go
    /// back to pending in the same transaction. Returns how many went back.
    /// </summary>
    public async ValueTask<long> BeginRerunAsync(DateTimeOffset startedAt, DateTimeOffset? requeueFetchedBefore, CancellationToken cancellationToken)
    {
        var now = startedAt.ToUnixTimeMilliseconds();
        var before = requeueFetchedBefore?.ToUnixTimeMilliseconds();
        var count = await RunAsync(db => db.BeginRerun(now, before), cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            Frontier.Signal();
        }

        return count;
    }

    /// <summary>Records that the re-run's start requests are stored: a run resuming it does not store them again.</summary>
    public ValueTask RerunStartsStoredAsync(CancellationToken cancellationToken) =>
        RunAsync(static db =>
        {
            db.RerunStartsStored();
            return 0;
        }, cancellationToken).AsNonGeneric();

    /// <summary>
    /// The re-run of a finished job this unfinished job is in the middle of, if any: when it began, and whether its start
    /// requests were still to be stored. A value that cannot be read (a hand-edited job) counts as no re-run.
    /// </summary>
    public ValueTask<(DateTimeOffset? StartedAt, bool StartsPending)> ReadRerunAsync(CancellationToken cancellationToken) =>
        RunAsync(static db =>
        {
            if (!long.TryParse(db.GetValue(JobDatabase.RerunStartedKey), NumberStyles.None, CultureInfo.InvariantCulture, out var started)
                || started > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                return ((DateTimeOffset?)null, false);
            }

            return (DateTimeOffset.FromUnixTimeMilliseconds(started), db.GetValue(JobDatabase.RerunStartsPendingKey) is not null);
        }, cancellationToken);

    /// <summary>Marks the crawl as running again.</summary>
    public ValueTask MarkRunningAsync(CancellationToken cancellationToken) => SetMetaAsync("status", "running", cancellationToken);

    /// <summary>
    /// Puts every failed request back to pending with its attempts reset, so the next run tries them again, and marks
    /// the job running if there were any. Returns how many.
    /// </summary>
    public async ValueTask<long> RetryFailedAsync(CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var count = await RunAsync(db => db.RetryFailed(now), cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            Frontier.Signal();
        }

        return count;
    }

    /// <summary>
    /// Incremental crawls: puts every done request whose page was fetched before <paramref name="fetchedBefore"/> back
    /// to pending with its attempts reset, so the next run fetches it again. Start requests (depth 0) are left alone:
    /// a re-run schedules them anew anyway. Returns how many.
    /// </summary>
    public async ValueTask<long> RequeueDoneAsync(DateTimeOffset fetchedBefore, CancellationToken cancellationToken)
    {
        var now = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var before = fetchedBefore.ToUnixTimeMilliseconds();
        var count = await RunAsync(db => db.RequeueDone(before, now), cancellationToken).ConfigureAwait(false);
        if (count > 0)
        {
            Frontier.Signal();
        }

        return count;
    }

    /// <summary>Reads a value of the job's key/value table (<c>kv</c>), or <see langword="null"/> for none.</summary>
    internal ValueTask<string?> GetValueAsync(string key, CancellationToken cancellationToken) => LoadValueAsync(key, cancellationToken);

    /// <summary>Writes a value of the job's key/value table (<c>kv</c>) now, in its own transaction.</summary>
    internal ValueTask SetValueAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        return RunAsync(db =>
        {
            db.SetValue(key, value);
            return 0;
        }, cancellationToken).AsNonGeneric();
    }

    /// <summary>Summarizes the job: requests by status, items, the most common errors, and the recent rate.</summary>
    /// <param name="topErrors">How many distinct errors to list.</param>
    /// <param name="cancellationToken">Cancels waiting for the database.</param>
    public ValueTask<JobStatus> GetStatusAsync(int topErrors = 10, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(topErrors);
        var since = TimeProvider.GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
        return RunAsync(db => ReadStatus(db, topErrors, since), cancellationToken);
    }

    /// <summary>
    /// Summarizes the job in <paramref name="directory"/> without opening it for writing and without its lock, so it
    /// works while a crawl runs the job (SQLite lets readers see the last committed batch). Returns
    /// <see langword="null"/> when the directory holds no job. It never writes to <c>job.db</c>, though SQLite may
    /// create its usual <c>job.db-wal</c> and <c>job.db-shm</c> companions beside it.
    /// </summary>
    /// <exception cref="JobDirectoryException">The job database is damaged, foreign, newer, or unreadable.</exception>
    public static Task<JobStatus?> ReadStatusAsync(string directory, TimeProvider? timeProvider = null, int topErrors = 10, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(topErrors);
        var since = (timeProvider ?? TimeProvider.System).GetUtcNow().AddMinutes(-1).ToUnixTimeMilliseconds();
        return ReadAsync(
            directory,
            database => ReadStatus(database, topErrors, since),
            cancellationToken);
    }

    /// <summary>
    /// Reads the failed requests of the job in <paramref name="directory"/>, oldest failure first, as
    /// <see cref="ReadStatusAsync"/> reads: without the job's lock, and never writing to it. Returns
    /// <see langword="null"/> when the directory holds no job.
    /// </summary>
    /// <exception cref="JobDirectoryException">The job database is damaged, foreign, newer, or unreadable.</exception>
    public static Task<IReadOnlyList<JobFailedRequest>?> ReadFailedAsync(string directory, int max, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        return ReadAsync<IReadOnlyList<JobFailedRequest>>(directory, database => database.FailedRequests(max), cancellationToken);
    }

    // Reads the job in a directory without its lock and without writing; null when there is no job.
    private static async Task<T?> ReadAsync<T>(string directory, Func<JobDatabase, T> read, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var path = Path.Combine(directory, JobSchema.DatabaseFileName);
        if (!File.Exists(path))
        {
            return null;
        }

        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        var options = new JobStoreOptions { FullCheckMaxBytes = 0 };
        if (!OpenHere.ContainsKey(directory))
        {
            JobDatabaseFile.Inspect(directory, path);
        }

        JobDatabase.Inspect(directory, path, options);
        try
        {
            using var database = JobDatabase.OpenReadOnly(path, options);
            return read(database);
        }
        catch (SqliteException ex)
        {
            throw JobDatabase.TranslateOpenError(directory, ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _database.Dispose();
            OpenHere.TryRemove(Directory, out _);
            _lock.Dispose();
        }
        finally
        {
            _gate.Release();
        }

        Frontier.Signal();
    }

    /// <summary>
    /// Runs database work while holding the store's gate, turning a full disk and a damaged file into their own
    /// exceptions. The work is synchronous: SQLite calls block, and holding a lock across an await is avoided.
    /// </summary>
    internal async ValueTask<T> RunAsync<T>(Func<JobDatabase, T> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_database);
        }
        catch (SqliteException ex) when (JobDatabase.TranslateRunError(Directory, ex) is { } translated)
        {
            throw translated;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>For tests: runs work on the open database.</summary>
    internal ValueTask<T> RunForTestsAsync<T>(Func<JobDatabase, T> work) => RunAsync(work, CancellationToken.None);

    private ValueTask<string?> LoadValueAsync(string key, CancellationToken cancellationToken) =>
        RunAsync(db => db.GetValue(key), cancellationToken);

    private ValueTask SetMetaAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        var now = TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return RunAsync(db =>
        {
            db.SetMeta(key, value, now);
            return 0;
        }, cancellationToken).AsNonGeneric();
    }

    private static JobStatus ReadStatus(JobDatabase db, int topErrors, long doneSince)
    {
        var (itemsFailed, itemErrors) = db.ItemFailures(topErrors);
        var fetches = JobFetchCounts.Parse(db.GetValue(JobFetchCounts.Key));
        return new JobStatus(ReadMetadata(db), db.GetCounts(), db.CountItems(), db.TopErrors(topErrors), db.CountDoneSince(doneSince))
        {
            ItemsFailed = itemsFailed,
            TopItemErrors = itemErrors,
            Outputs = db.ExportOutputs(),
            FetchedPlain = fetches.Plain,
            Rendered = fetches.Rendered,
            InFlight = long.TryParse(db.GetValue(JobDatabase.InFlightKey), NumberStyles.Integer, CultureInfo.InvariantCulture, out var inFlight) ? inFlight : null,
            RecrawlUnchanged = db.GetCounter(JobDatabase.RecrawlUnchangedKey),
            RecrawlChanged = db.GetCounter(JobDatabase.RecrawlChangedKey),
        };
    }

    private static JobMetadata ReadMetadata(JobDatabase db)
    {
        var meta = db.GetMeta();
        return new JobMetadata(
            int.Parse(meta.GetValueOrDefault("format_version", "1"), CultureInfo.InvariantCulture),
            meta.GetValueOrDefault("spider"),
            meta.GetValueOrDefault("settings_fingerprint"),
            meta.GetValueOrDefault("start_urls"),
            JobDatabase.ParseTime(meta.GetValueOrDefault("created_at")),
            JobDatabase.ParseTime(meta.GetValueOrDefault("updated_at")),
            string.Equals(meta.GetValueOrDefault("status"), "finished", StringComparison.Ordinal));
    }
}

internal static class ValueTaskExtensions
{
    public static async ValueTask AsNonGeneric<T>(this ValueTask<T> task) => await task.ConfigureAwait(false);
}
