using System.Globalization;
using Microsoft.Data.Sqlite;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Jobs;

/// <summary>
/// The connection to <c>job.db</c> and every statement run on it, each prepared once and reused. Not thread-safe:
/// <see cref="JobStore"/> serializes all calls. Times are Unix milliseconds.
/// </summary>
internal sealed class JobDatabase : IDisposable
{
    /// <summary>The error kind of a stored request that cannot be read.</summary>
    public const string InvalidRequestKind = "invalid_request";

    private const int SqliteFull = 13;

    /// <summary>SQLITE_IOERR_SHMSIZE: the log's index could not grow, which in practice means the disk is full.</summary>
    private const int SqliteIoErrShmSize = 10 | (19 << 8);

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);
    private bool _durable = true;

    private JobDatabase(SqliteConnection connection) => _connection = connection;

    /// <summary>For tests: the open connection.</summary>
    internal SqliteConnection Connection => _connection;

    /// <summary>Builds a new, complete job database at <paramref name="path"/>, which must not exist.</summary>
    public static void Create(string path, JobStoreOptions options, DateTimeOffset now)
    {
        using var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWriteCreate, options));
        connection.Open();
        Run(connection, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
        Run(connection, "BEGIN IMMEDIATE;");
        Run(connection, JobSchema.CreateScript);
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO meta (key, value) VALUES ($key, $value)";
            var key = insert.Parameters.Add("$key", SqliteType.Text);
            var value = insert.Parameters.Add("$value", SqliteType.Text);
            var stamp = FormatTime(now);
            foreach (var (k, v) in new (string, string?)[]
            {
                ("format_version", JobSchema.FormatVersion.ToString(CultureInfo.InvariantCulture)),
                ("spider", options.SpiderName),
                ("settings_fingerprint", options.SettingsFingerprint),
                ("start_urls", options.StartUrlsJson),
                ("created_at", stamp),
                ("updated_at", stamp),
                ("status", "running"),
                ("lease_epoch", "0"),
            })
            {
                if (v is null)
                {
                    continue;
                }

                key.Value = k;
                value.Value = v;
                insert.ExecuteNonQuery();
            }
        }

        Run(connection, "COMMIT;");

        // Fold the log into the main file so the file renamed into place is complete on its own.
        Run(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
    }

    /// <summary>What a read-only look at an existing database found.</summary>
    internal sealed record Inspection(long FormatVersion, string? SpiderName, string? SettingsFingerprint, bool IsFinished);

    /// <summary>
    /// Opens an existing database read-only and checks it before anything writes to it: its format version, and its
    /// pages (<c>PRAGMA quick_check</c>, over everything or, past <see cref="JobStoreOptions.FullCheckMaxBytes"/>, over
    /// the small tables).
    /// </summary>
    public static Inspection Inspect(string directory, string path, JobStoreOptions options)
    {
        try
        {
            // Without a write-ahead log (the job was closed cleanly, or never opened since) the file is the whole database,
            // and opening it immutable reads it without creating the log or its index beside it. With a log, SQLite needs
            // both to read the latest commits; it creates only the index, which it can always rebuild.
            var immutable = !File.Exists(path + "-wal");
            var source = immutable ? new Uri(path).AbsoluteUri + "?immutable=1" : path;
            using var connection = new SqliteConnection(ConnectionString(source, SqliteOpenMode.ReadOnly, options));
            connection.Open();
            var meta = ReadMeta(connection, directory);
            if (!meta.TryGetValue("format_version", out var versionText)
                || !long.TryParse(versionText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version) || version < 1)
            {
                throw JobDirectoryException.Corrupt(directory, $"its format version is missing or invalid ('{versionText}')");
            }

            if (version > JobSchema.FormatVersion)
            {
                throw JobDirectoryException.NewerFormat(directory, version);
            }

            var full = new FileInfo(path).Length <= options.FullCheckMaxBytes;
            string[] scopes = full ? [""] : ["(meta)", "(kv)", "(exports)", "(counts)"];
            foreach (var scope in scopes)
            {
                using var check = connection.CreateCommand();
                check.CommandText = $"PRAGMA quick_check{scope};";
                var result = check.ExecuteScalar() as string;
                if (!string.Equals(result, "ok", StringComparison.Ordinal))
                {
                    var detail = string.Join("; ", (result ?? "no result").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                    throw JobDirectoryException.Corrupt(directory, $"SQLite's integrity check found: {detail}");
                }
            }

            return new Inspection(
                version,
                meta.GetValueOrDefault("spider"),
                meta.GetValueOrDefault("settings_fingerprint"),
                string.Equals(meta.GetValueOrDefault("status"), "finished", StringComparison.Ordinal));
        }
        catch (SqliteException ex)
        {
            throw TranslateOpenError(directory, ex);
        }
    }

    /// <summary>Opens an existing, inspected database for reading and writing.</summary>
    public static JobDatabase Open(string path, JobStoreOptions options)
    {
        var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadWrite, options));
        try
        {
            connection.Open();
            var cacheKiB = Math.Max(64, options.PageCacheBytes / 1024);
            var busyMs = (long)options.BusyTimeout.TotalMilliseconds;
            Run(connection, string.Create(CultureInfo.InvariantCulture, $"""
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                PRAGMA cache_size = -{cacheKiB};
                PRAGMA busy_timeout = {busyMs};
                PRAGMA mmap_size = 0;
                PRAGMA temp_store = FILE;
                PRAGMA journal_size_limit = 67108864;
                """));
            AddExportItemsColumn(connection);
            AddValidatorColumns(connection);
            return new JobDatabase(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // Jobs written before exports recorded their item count get the column, empty: their count is unknown until the
    // next checkpoint. Older trawls ignore the column (the format stays 1).
    private static void AddExportItemsColumn(SqliteConnection connection)
    {
        using var check = connection.CreateCommand();
        check.CommandText = "SELECT count(*) FROM pragma_table_info('exports') WHERE name = 'items'";
        if ((long)check.ExecuteScalar()! == 0)
        {
            Run(connection, "ALTER TABLE exports ADD COLUMN items INTEGER;");
        }
    }

    // Jobs written before re-crawls were conditional get the validator columns, empty: their pages are re-fetched in full
    // once, and conditionally after that. Older trawls ignore the columns (the format stays 1).
    private static void AddValidatorColumns(SqliteConnection connection)
    {
        using var check = connection.CreateCommand();
        check.CommandText = "SELECT count(*) FROM pragma_table_info('requests') WHERE name = 'etag'";
        if ((long)check.ExecuteScalar()! == 0)
        {
            Run(connection, "ALTER TABLE requests ADD COLUMN etag TEXT; ALTER TABLE requests ADD COLUMN last_modified TEXT;");
        }
    }

    /// <summary>Opens an existing, inspected database for reading only, beside a process that may be writing it.</summary>
    public static JobDatabase OpenReadOnly(string path, JobStoreOptions options)
    {
        var connection = new SqliteConnection(ConnectionString(path, SqliteOpenMode.ReadOnly, options));
        try
        {
            connection.Open();
            Run(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};"));
            return new JobDatabase(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Maps a SQLite error met while opening to the job directory problem it means.</summary>
    public static Exception TranslateOpenError(string directory, SqliteException ex) => ex.SqliteErrorCode switch
    {
        11 or 26 => JobDirectoryException.Corrupt(directory, ex.Message, ex), // SQLITE_CORRUPT, SQLITE_NOTADB
        5 or 6 => JobDirectoryException.Locked(directory, null, ex), // SQLITE_BUSY, SQLITE_LOCKED: someone else's connection
        8 => JobDirectoryException.Unwritable(directory, ex.Message, ex), // SQLITE_READONLY
        SqliteFull => JobDirectoryException.DiskFull(directory, ex),
        10 when ex.SqliteExtendedErrorCode == SqliteIoErrShmSize => JobDirectoryException.DiskFull(directory, ex),
        3 or 10 or 14 or 23 => JobDirectoryException.Unreadable(directory, ex.Message, ex), // PERM, IOERR, CANTOPEN, AUTH
        _ => ex,
    };

    /// <summary>Maps a SQLite error met while the job runs: a full disk and a damaged file get their own exceptions.</summary>
    public static Exception? TranslateRunError(string directory, SqliteException ex) => ex.SqliteErrorCode switch
    {
        SqliteFull => new JobStoreFullException(directory, ex),
        10 when ex.SqliteExtendedErrorCode == SqliteIoErrShmSize => new JobStoreFullException(directory, ex),
        11 or 26 => JobDirectoryException.Corrupt(directory, ex.Message, ex),
        _ => null,
    };

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
        _connection.Dispose();
    }

    // ---- Opening -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs the one write of an open: requests left in progress by the previous process go back to pending (their
    /// attempts were never counted), and the lease epoch moves on so no earlier lease token can match again.
    /// </summary>
    public (long RecoveredLeases, long LeaseEpoch) Recover(long now)
    {
        return Write(durable: true, () =>
        {
            var recovered = Command(Sql.Recover, ("$now", SqliteType.Integer));
            recovered.Parameters[0].Value = now;
            var count = recovered.ExecuteNonQuery();

            var epoch = Command("""
                INSERT INTO meta (key, value) VALUES ('lease_epoch', '1')
                ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
                RETURNING CAST(value AS INTEGER)
                """);
            var leaseEpoch = (long)epoch.ExecuteScalar()!;

            // Jobs made before failed items were recorded get the table now (format 1 either way: older trawls ignore it).
            Command(JobSchema.CreateItemFailures).ExecuteNonQuery();
            return ((long)count, leaseEpoch);
        });
    }

    // ---- Frontier ------------------------------------------------------------------------------------------------

    /// <summary>
    /// A request serialized ahead of the transaction that stores it. <c>RefetchIfBefore</c> is a sitemap entry's
    /// <c>lastmod</c> (Unix milliseconds): a done request of the same fingerprint last fetched before it goes back to
    /// pending, with this request's JSON.
    /// </summary>
    internal readonly record struct StoredRequest(byte[] Fingerprint, bool DontFilter, int Priority, int Depth, string? Callback, byte[] Json, long? RefetchIfBefore = null)
    {
        public static StoredRequest From(Request request) => new(
            request.Fingerprint.ToBytes(), request.DontFilter, request.Priority, request.Depth, request.Callback, RequestJson.Serialize(request),
            Sitemaps.SitemapRequests.LastModified(request)?.ToUnixTimeMilliseconds());
    }

    /// <summary>A completion with its discovered requests serialized.</summary>
    internal readonly record struct StoredCompletion(Completion Completion, StoredRequest[] Discovered);

    public int Add(IReadOnlyList<StoredRequest> requests, long now) => Write(durable: true, () =>
    {
        var added = InsertRequests(requests, now);
        Touch(now);
        return added;
    });

    /// <summary>
    /// Leases up to <paramref name="max"/> due requests. A stored request that cannot be read fails there and then as
    /// <c>invalid_request</c> instead of blocking every lease; each is added to <paramref name="unreadable"/>.
    /// </summary>
    public List<Lease> Lease(int max, long now, long token, long? expiresAt, List<LeaseFailure> unreadable)
    {
        // Leases need not survive a crash (the next open puts in-progress requests back), so their commits skip the fsync;
        // the next durable commit flushes them along with its own.
        return Write(durable: false, () =>
        {
            ReclaimExpired(now);
            PromoteDue(now);
            var lease = Command(Sql.Lease, ("$token", SqliteType.Integer), ("$expires", SqliteType.Integer), ("$now", SqliteType.Integer), ("$max", SqliteType.Integer));
            lease.Parameters[0].Value = token;
            lease.Parameters[1].Value = expiresAt is { } e ? e : DBNull.Value;
            lease.Parameters[2].Value = now;
            lease.Parameters[3].Value = max;
            var expiry = expiresAt is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.MaxValue;
            var leased = new List<(int Priority, Lease Lease)>();
            var failedBefore = unreadable.Count;
            using (var reader = lease.ExecuteReader())
            {
                while (reader.Read())
                {
                    var id = reader.GetInt64(0);
                    var attempts = reader.GetInt32(1);
                    var priority = reader.GetInt32(2);
                    try
                    {
                        var request = RequestJson.Deserialize((byte[])reader.GetValue(3));
                        var validators = new PageValidators(reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5));
                        leased.Add((priority, new Lease(id, token, request, attempts + 1, expiry) { Validators = validators.IsEmpty ? null : validators }));
                    }
                    catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException or ArgumentException)
                    {
                        unreadable.Add(new LeaseFailure(id, InvalidRequestKind, "The stored request cannot be read: " + ex.Message));
                    }
                }
            }

            // A row edited by hand into something that is not a request fails on its own instead of blocking every lease.
            if (unreadable.Count > failedBefore)
            {
                var fail = Command(Sql.FailUnreadable, ("$id", SqliteType.Integer), ("$error", SqliteType.Text), ("$now", SqliteType.Integer));
                for (var i = failedBefore; i < unreadable.Count; i++)
                {
                    fail.Parameters[0].Value = unreadable[i].EntryId;
                    fail.Parameters[1].Value = unreadable[i].Error;
                    fail.Parameters[2].Value = now;
                    fail.ExecuteNonQuery();
                }
            }

            // RETURNING yields rows in no particular order; hand them out in lease order.
            leased.Sort(static (a, b) => a.Priority != b.Priority ? b.Priority.CompareTo(a.Priority) : a.Lease.EntryId.CompareTo(b.Lease.EntryId));
            return leased.ConvertAll(static l => l.Lease);
        });
    }

    public CompletionResult Complete(IReadOnlyList<StoredCompletion> completions, JobStateUpdate? state, long now)
    {
        return Write(durable: true, () =>
        {
            var finish = Command(Sql.Finish,
                ("$status", SqliteType.Integer), ("$counted", SqliteType.Integer), ("$due", SqliteType.Integer), ("$http", SqliteType.Integer),
                ("$kind", SqliteType.Text), ("$error", SqliteType.Text), ("$now", SqliteType.Integer), ("$id", SqliteType.Integer),
                ("$token", SqliteType.Integer), ("$etag", SqliteType.Text), ("$lastModified", SqliteType.Text));
            var insertItem = Command(
                "INSERT INTO items (request_id, json) VALUES ($request, $json) RETURNING seq",
                ("$request", SqliteType.Integer), ("$json", SqliteType.Blob));

            var accepted = new bool[completions.Count];
            var items = new List<CommittedItem>();
            var added = 0;
            long unchanged = 0, changed = 0;
            for (var i = 0; i < completions.Count; i++)
            {
                var (completion, discovered) = completions[i];
                var (status, counted, due) = completion.Status switch
                {
                    CompletionStatus.Done => (JobSchema.Done, 1, (long?)null),
                    CompletionStatus.Retry => (JobSchema.Pending, 1, completion.RetryAt.ToUnixTimeMilliseconds() is var at && at > now ? at : (long?)null),
                    CompletionStatus.Failed => (JobSchema.Failed, 1, null),
                    CompletionStatus.Skipped => (JobSchema.Skipped, 0, null),
                    _ => throw new ArgumentOutOfRangeException(nameof(completions), completion.Status, "Unknown completion status."),
                };

                finish.Parameters[0].Value = status;
                finish.Parameters[1].Value = counted;
                finish.Parameters[2].Value = due is { } d ? d : DBNull.Value;
                finish.Parameters[3].Value = completion.HttpStatus is { } http ? http : DBNull.Value;
                finish.Parameters[4].Value = (object?)completion.ErrorKind ?? DBNull.Value;
                finish.Parameters[5].Value = (object?)completion.Error ?? DBNull.Value;
                finish.Parameters[6].Value = now;
                finish.Parameters[7].Value = completion.Lease.EntryId;
                finish.Parameters[8].Value = completion.Lease.Token;
                finish.Parameters[9].Value = (object?)completion.Validators.ETag ?? DBNull.Value;
                finish.Parameters[10].Value = (object?)completion.Validators.LastModified ?? DBNull.Value;
                if (finish.ExecuteNonQuery() != 1)
                {
                    continue;
                }

                accepted[i] = true;
                unchanged += completion.Recrawl == RecrawlOutcome.Unchanged ? 1 : 0;
                changed += completion.Recrawl == RecrawlOutcome.Changed ? 1 : 0;
                // A failed request carries what its error callback yielded.
                if (completion.Status is not (CompletionStatus.Done or CompletionStatus.Failed))
                {
                    continue;
                }

                added += InsertRequests(discovered, now);
                foreach (var json in completion.Items)
                {
                    insertItem.Parameters[0].Value = completion.Lease.EntryId;
                    insertItem.Parameters[1].Value = json;
                    var seq = (long)insertItem.ExecuteScalar()!;
                    items.Add(new CommittedItem(seq, json));
                }
            }

            if (state is not null)
            {
                WriteState(state);
            }

            AddToCounter(RecrawlUnchangedKey, unchanged);
            AddToCounter(RecrawlChangedKey, changed);
            Touch(now);
            return new CompletionResult(accepted, items, added);
        });
    }

    public void Release(IReadOnlyList<Lease> leases, long now) => Write(durable: false, () =>
    {
        var release = Command(Sql.Release, ("$now", SqliteType.Integer), ("$id", SqliteType.Integer), ("$token", SqliteType.Integer));
        foreach (var lease in leases)
        {
            release.Parameters[0].Value = now;
            release.Parameters[1].Value = lease.EntryId;
            release.Parameters[2].Value = lease.Token;
            release.ExecuteNonQuery();
        }

        return 0;
    });

    public void Renew(IReadOnlyList<Lease> leases, long now, long expiresAt) => Write(durable: false, () =>
    {
        var renew = Command(Sql.Renew, ("$expires", SqliteType.Integer), ("$id", SqliteType.Integer), ("$token", SqliteType.Integer), ("$now", SqliteType.Integer));
        foreach (var lease in leases)
        {
            renew.Parameters[0].Value = expiresAt;
            renew.Parameters[1].Value = lease.EntryId;
            renew.Parameters[2].Value = lease.Token;
            renew.Parameters[3].Value = now;
            renew.ExecuteNonQuery();
        }

        return 0;
    });

    /// <summary>What <see cref="IFrontier.WaitToLeaseAsync"/> needs to know, read without writing.</summary>
    /// <param name="Ready">A pending request is due, or a lease has expired and will be reclaimed by the next lease.</param>
    /// <param name="Exhausted">Nothing is pending and nothing is leased.</param>
    /// <param name="WakeAt">The earliest time a waiting retry falls due or a lease expires, if any.</param>
    internal readonly record struct Readiness(bool Ready, bool Exhausted, long? WakeAt);

    public Readiness GetReadiness(long now)
    {
        var ready = Command(Sql.HasReady);
        if ((long)ready.ExecuteScalar()! != 0)
        {
            return new Readiness(true, false, null);
        }

        var nextDue = Command(Sql.NextDue).ExecuteScalar() as long?;
        var leased = (long)Command(Sql.HasLeased).ExecuteScalar()! != 0;
        var nextExpiry = Command(Sql.NextExpiry).ExecuteScalar() as long?;
        if (nextDue <= now || nextExpiry <= now)
        {
            return new Readiness(true, false, null);
        }

        if (nextDue is null && !leased)
        {
            return new Readiness(false, true, null);
        }

        long? wakeAt = (nextDue, nextExpiry) switch
        {
            ({ } a, { } b) => Math.Min(a, b),
            ({ } a, null) => a,
            (null, { } b) => b,
            _ => null,
        };
        return new Readiness(false, false, wakeAt);
    }

    public FrontierCounts GetCounts()
    {
        long pending = 0, inProgress = 0, done = 0, failed = 0, skipped = 0;
        using var reader = Command("SELECT status, n FROM counts").ExecuteReader();
        while (reader.Read())
        {
            var n = reader.GetInt64(1);
            switch (reader.GetInt32(0))
            {
                case JobSchema.Pending: pending = n; break;
                case JobSchema.InProgress: inProgress = n; break;
                case JobSchema.Done: done = n; break;
                case JobSchema.Failed: failed = n; break;
                case JobSchema.Skipped: skipped = n; break;
            }
        }

        return new FrontierCounts(pending, inProgress, done, failed, skipped);
    }

    // ---- Item log --------------------------------------------------------------------------------------------------

    public List<CommittedItem> ReadItems(long afterSequence, int max)
    {
        // Failed items are never exported: a replay leaves them out.
        var read = Command(
            "SELECT seq, json FROM items WHERE seq > $after AND NOT EXISTS (SELECT 1 FROM item_failures f WHERE f.seq = items.seq) ORDER BY seq LIMIT $max",
            ("$after", SqliteType.Integer),
            ("$max", SqliteType.Integer));
        read.Parameters[0].Value = afterSequence;
        read.Parameters[1].Value = max;
        var items = new List<CommittedItem>();
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            items.Add(new CommittedItem(reader.GetInt64(0), (byte[])reader.GetValue(1)));
        }

        return items;
    }

    /// <summary>How many committed items that can be exported (not failed) have a sequence greater than <paramref name="afterSequence"/>.</summary>
    public long CountItemsAfter(long afterSequence)
    {
        var count = Command(
            "SELECT count(*) FROM items WHERE seq > $after AND NOT EXISTS (SELECT 1 FROM item_failures f WHERE f.seq = items.seq)",
            ("$after", SqliteType.Integer));
        count.Parameters[0].Value = afterSequence;
        return (long)count.ExecuteScalar()!;
    }

    /// <summary>Records failed items; an item recorded already keeps its first record.</summary>
    public void RecordItemFailures(IReadOnlyList<Items.ItemFailure> failures, long now) => Write(durable: true, () =>
    {
        var insert = Command(
            "INSERT OR IGNORE INTO item_failures (seq, kind, error, failed_at) VALUES ($seq, $kind, $error, $now)",
            ("$seq", SqliteType.Integer), ("$kind", SqliteType.Text), ("$error", SqliteType.Text), ("$now", SqliteType.Integer));
        foreach (var failure in failures)
        {
            insert.Parameters[0].Value = failure.Sequence is { } seq ? seq : DBNull.Value;
            insert.Parameters[1].Value = failure.Kind;
            insert.Parameters[2].Value = failure.Error;
            insert.Parameters[3].Value = now;
            insert.ExecuteNonQuery();
        }

        return 0;
    });

    /// <summary>How many items failed, and the most common of their errors; none for a job older than the record.</summary>
    public (long Count, List<JobErrorCount> Top) ItemFailures(int max)
    {
        var top = new List<JobErrorCount>();
        if ((long)Command("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'item_failures'").ExecuteScalar()! == 0)
        {
            return (0, top);
        }

        var count = (long)Command("SELECT count(*) FROM item_failures").ExecuteScalar()!;
        var read = Command(
            "SELECT kind, error, count(*) AS n FROM item_failures GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT $max",
            ("$max", SqliteType.Integer));
        read.Parameters[0].Value = max;
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            top.Add(new JobErrorCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return (count, top);
    }

    public ExportCheckpoint GetExportCheckpoint(string output)
    {
        var read = Command("SELECT seq, position, items FROM exports WHERE output = $output", ("$output", SqliteType.Text));
        read.Parameters[0].Value = output;
        using var reader = read.ExecuteReader();
        return reader.Read()
            ? new ExportCheckpoint(reader.GetInt64(0), reader.GetInt64(1)) { Items = reader.IsDBNull(2) ? null : reader.GetInt64(2) }
            : default;
    }

    /// <summary>Every output the job has written (or begun to), with its checkpoint, by path.</summary>
    public List<JobOutput> ExportOutputs()
    {
        var read = Command("SELECT output, seq, position, items FROM exports ORDER BY output");
        var outputs = new List<JobOutput>();
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            outputs.Add(new JobOutput(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        }

        return outputs;
    }

    public void SetExportCheckpoint(string output, ExportCheckpoint checkpoint) => Write(durable: true, () =>
    {
        var write = Command("""
            INSERT INTO exports (output, seq, position, items) VALUES ($output, $seq, $position, $items)
            ON CONFLICT (output) DO UPDATE SET seq = excluded.seq, position = excluded.position, items = excluded.items
            """, ("$output", SqliteType.Text), ("$seq", SqliteType.Integer), ("$position", SqliteType.Integer), ("$items", SqliteType.Integer));
        write.Parameters[0].Value = output;
        write.Parameters[1].Value = checkpoint.Sequence;
        write.Parameters[2].Value = checkpoint.Position;
        write.Parameters[3].Value = checkpoint.Items is { } items ? items : DBNull.Value;
        return write.ExecuteNonQuery();
    });

    // ---- State, metadata, status -------------------------------------------------------------------------------------

    public string? GetValue(string key)
    {
        var read = Command("SELECT value FROM kv WHERE key = $key", ("$key", SqliteType.Text));
        read.Parameters[0].Value = key;
        return read.ExecuteScalar() as string;
    }

    public void SaveState(JobStateUpdate state) => Write(durable: true, () =>
    {
        WriteState(state);
        return 0;
    });

    public Dictionary<string, string> GetMeta() => ReadMeta(_connection, directory: null);

    public void SetMeta(string key, string value, long now) => Write(durable: true, () =>
    {
        PutMeta(key, value);
        Touch(now);
        return 0;
    });

    public long RetryFailed(long now) => Write(durable: true, () =>
    {
        var retry = Command(Sql.RetryFailed, ("$now", SqliteType.Integer));
        retry.Parameters[0].Value = now;
        long count = retry.ExecuteNonQuery();
        if (count > 0)
        {
            PutMeta("status", "running");
            Touch(now);
        }

        return count;
    });

    public long RequeueDone(long before, long now) => Write(durable: true, () => Requeue(before, now));

    /// <summary>
    /// Starts a re-run of a finished job, in one transaction: marks it running, records when the re-run began and that
    /// its start requests are still to be stored (<see cref="RerunStartedKey"/>, <see cref="RerunStartsPendingKey"/>), and
    /// puts pages fetched before <paramref name="requeueBefore"/>, if given, back to pending. Returns how many went back.
    /// </summary>
    public long BeginRerun(long now, long? requeueBefore) => Write(durable: true, () =>
    {
        PutMeta("status", "running");
        PutValue(RerunStartedKey, now.ToString(CultureInfo.InvariantCulture));
        PutValue(RerunStartsPendingKey, "1");
        Touch(now);
        return requeueBefore is { } before ? Requeue(before, now) : 0;
    });

    /// <summary>Records that the re-run's start requests are stored.</summary>
    public void RerunStartsStored() => Write(durable: true, () =>
    {
        DeleteValue(RerunStartsPendingKey);
        return 0;
    });

    /// <summary>Marks the crawl as run to its end; a re-run it was making ends with it.</summary>
    public void MarkFinished(long now) => Write(durable: true, () =>
    {
        PutMeta("status", "finished");
        DeleteValue(RerunStartedKey);
        DeleteValue(RerunStartsPendingKey);
        Touch(now);
        return 0;
    });

    private long Requeue(long before, long now)
    {
        var requeue = Command(Sql.RequeueDone, ("$before", SqliteType.Integer), ("$now", SqliteType.Integer));
        requeue.Parameters[0].Value = before;
        requeue.Parameters[1].Value = now;
        long count = requeue.ExecuteNonQuery();
        if (count > 0)
        {
            // A new re-crawl begins: its pages are counted from zero.
            PutValue(RecrawlUnchangedKey, "0");
            PutValue(RecrawlChangedKey, "0");
            Touch(now);
        }

        return count;
    }

    public void SetValue(string key, string value) => Write(durable: true, () =>
    {
        PutValue(key, value);
        return 0;
    });

    public long CountItems() => Command("SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'items'), 0)").ExecuteScalar() as long? ?? 0;

    public long CountDoneSince(long since)
    {
        var count = Command(Sql.DoneSince, ("$since", SqliteType.Integer));
        count.Parameters[0].Value = since;
        return (long)count.ExecuteScalar()!;
    }

    public List<JobErrorCount> TopErrors(int max)
    {
        var top = Command(Sql.TopErrors, ("$max", SqliteType.Integer));
        top.Parameters[0].Value = max;
        var errors = new List<JobErrorCount>();
        using var reader = top.ExecuteReader();
        while (reader.Read())
        {
            errors.Add(new JobErrorCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return errors;
    }

    /// <summary>The failed requests, oldest failure first, at most <paramref name="max"/>.</summary>
    public List<JobFailedRequest> FailedRequests(int max)
    {
        var read = Command(Sql.FailedRequests, ("$max", SqliteType.Integer));
        read.Parameters[0].Value = max;
        var failed = new List<JobFailedRequest>();
        using var reader = read.ExecuteReader();
        while (reader.Read())
        {
            failed.Add(new JobFailedRequest(
                StoredUrl((byte[])reader.GetValue(0)),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetInt32(3),
                reader.GetInt32(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }

        return failed;
    }

    // The URL of a stored request, read without the rest of it: a request that failed as invalid_request may not parse.
    private static string StoredUrl(byte[] json)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            return document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && document.RootElement.TryGetProperty("url", out var url) && url.ValueKind == System.Text.Json.JsonValueKind.String
                ? url.GetString()!
                : "(no url)";
        }
        catch (System.Text.Json.JsonException)
        {
            return "(damaged request)";
        }
    }

    /// <summary>For tests and diagnostics: runs <c>EXPLAIN QUERY PLAN</c> and returns the plan's lines.</summary>
    internal List<string> ExplainQueryPlan(string sql)
    {
        using var explain = _connection.CreateCommand();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var lines = new List<string>();
        using var reader = explain.ExecuteReader();
        while (reader.Read())
        {
            lines.Add(reader.GetString(3));
        }

        return lines;
    }

    /// <summary>
    /// The statements on <c>requests</c>, kept together so tests can check each one's query plan. Status values are
    /// literals, and a query over finished rows repeats <c>status &gt;= 2</c>, so that SQLite can match the partial indexes.
    /// </summary>
    internal static class Sql
    {
        public const string Recover = """
            UPDATE requests SET status = 0, lease_token = NULL, lease_expires_at = NULL, due_at = NULL, updated_at = $now
            WHERE status = 1
            """;

        public const string Lease = """
            UPDATE requests SET status = 1, lease_token = $token, lease_expires_at = $expires, updated_at = $now
            WHERE id IN (SELECT id FROM requests WHERE status = 0 AND due_at IS NULL ORDER BY priority DESC, id LIMIT $max)
            RETURNING id, attempts, priority, request, etag, last_modified
            """;

        public const string Finish = """
            UPDATE requests SET status = $status, attempts = attempts + $counted, lease_token = NULL, lease_expires_at = NULL,
                due_at = $due, http_status = $http, error_kind = $kind, last_error = $error, updated_at = $now,
                etag = CASE WHEN $status = 2 THEN $etag ELSE etag END, last_modified = CASE WHEN $status = 2 THEN $lastModified ELSE last_modified END
            WHERE id = $id AND status = 1 AND lease_token = $token AND (lease_expires_at IS NULL OR lease_expires_at > $now)
            """;

        public const string Release = """
            UPDATE requests SET status = 0, lease_token = NULL, lease_expires_at = NULL, due_at = NULL, updated_at = $now
            WHERE id = $id AND status = 1 AND lease_token = $token
            """;

        public const string FailUnreadable = """
            UPDATE requests SET status = 3, lease_token = NULL, lease_expires_at = NULL, error_kind = 'invalid_request', last_error = $error, updated_at = $now
            WHERE id = $id
            """;

        public const string Renew = """
            UPDATE requests SET lease_expires_at = $expires
            WHERE id = $id AND status = 1 AND lease_token = $token AND lease_expires_at > $now
            """;

        public const string RetryFailed = """
            UPDATE requests SET status = 0, attempts = 0, due_at = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $now
            WHERE status >= 2 AND status = 3
            """;

        public const string RequeueDone = """
            UPDATE requests SET status = 0, attempts = 0, due_at = NULL, http_status = NULL, error_kind = NULL, last_error = NULL, updated_at = $now
            WHERE status >= 2 AND status = 2 AND updated_at < $before AND depth > 0
            """;

        public const string FailedRequests = """
            SELECT request, coalesce(error_kind, ''), coalesce(last_error, ''), http_status, attempts, updated_at FROM requests
            WHERE status >= 2 AND status = 3
            ORDER BY updated_at, id LIMIT $max
            """;

        public const string TopErrors = """
            SELECT coalesce(error_kind, ''), coalesce(last_error, ''), count(*) AS n FROM requests
            WHERE status >= 2 AND status = 3
            GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT $max
            """;

        public const string RequeueChanged = """
            UPDATE requests SET status = 0, attempts = 0, due_at = NULL, http_status = NULL, error_kind = NULL, last_error = NULL, request = $request, updated_at = $now
            WHERE fingerprint = $fingerprint AND dont_filter = 0 AND status >= 2 AND status = 2 AND updated_at < $before
            """;

        public const string InsertRequest = """
            INSERT OR IGNORE INTO requests (fingerprint, dont_filter, priority, depth, callback, request, created_at, updated_at)
            VALUES ($fingerprint, $dontFilter, $priority, $depth, $callback, $request, $now, $now)
            """;

        public const string Reclaim = """
            UPDATE requests SET status = 0, lease_token = NULL, lease_expires_at = NULL, due_at = NULL, updated_at = $now
            WHERE status = 1 AND lease_expires_at <= $now
            """;

        public const string HasReady = "SELECT EXISTS (SELECT 1 FROM requests WHERE status = 0 AND due_at IS NULL)";

        public const string NextDue = "SELECT min(due_at) FROM requests WHERE status = 0 AND due_at IS NOT NULL";

        public const string HasLeased = "SELECT EXISTS (SELECT 1 FROM requests WHERE status = 1)";

        public const string NextExpiry = "SELECT min(lease_expires_at) FROM requests WHERE status = 1 AND lease_expires_at IS NOT NULL";

        public const string DoneSince = "SELECT count(*) FROM requests WHERE status >= 2 AND status = 2 AND updated_at >= $since";

        public const string Promote = "UPDATE requests SET due_at = NULL WHERE status = 0 AND due_at IS NOT NULL AND due_at <= $now";
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------------

    internal static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : DateTimeOffset.MinValue;

    private int InsertRequests(IReadOnlyList<StoredRequest> requests, long now)
    {
        if (requests.Count == 0)
        {
            return 0;
        }

        var insert = Command(Sql.InsertRequest,
            ("$fingerprint", SqliteType.Blob), ("$dontFilter", SqliteType.Integer), ("$priority", SqliteType.Integer), ("$depth", SqliteType.Integer),
            ("$callback", SqliteType.Text), ("$request", SqliteType.Blob), ("$now", SqliteType.Integer));
        SqliteCommand? requeue = null;
        var added = 0;
        foreach (var request in requests)
        {
            insert.Parameters[0].Value = request.Fingerprint;
            insert.Parameters[1].Value = request.DontFilter ? 1 : 0;
            insert.Parameters[2].Value = request.Priority;
            insert.Parameters[3].Value = request.Depth;
            insert.Parameters[4].Value = (object?)request.Callback ?? DBNull.Value;
            insert.Parameters[5].Value = request.Json;
            insert.Parameters[6].Value = now;
            var inserted = insert.ExecuteNonQuery();
            if (inserted == 0 && request.RefetchIfBefore is { } before && !request.DontFilter)
            {
                // A sitemap entry the job has: fetched again when it changed (its lastmod) after it was last fetched.
                requeue ??= Command(Sql.RequeueChanged, ("$fingerprint", SqliteType.Blob), ("$request", SqliteType.Blob), ("$before", SqliteType.Integer), ("$now", SqliteType.Integer));
                requeue.Parameters[0].Value = request.Fingerprint;
                requeue.Parameters[1].Value = request.Json;
                requeue.Parameters[2].Value = before;
                requeue.Parameters[3].Value = now;
                inserted = requeue.ExecuteNonQuery();
            }

            added += inserted;
        }

        return added;
    }

    private void ReclaimExpired(long now)
    {
        var reclaim = Command(Sql.Reclaim, ("$now", SqliteType.Integer));
        reclaim.Parameters[0].Value = now;
        reclaim.ExecuteNonQuery();
    }

    private void PromoteDue(long now)
    {
        var promote = Command(Sql.Promote, ("$now", SqliteType.Integer));
        promote.Parameters[0].Value = now;
        promote.ExecuteNonQuery();
    }

    /// <summary>The <c>kv</c> key of the pages of the latest re-crawl answered <c>304 Not Modified</c>.</summary>
    internal const string RecrawlUnchangedKey = "recrawl_unchanged";

    /// <summary>The <c>kv</c> key of the pages of the latest re-crawl that were asked for conditionally and answered in full.</summary>
    internal const string RecrawlChangedKey = "recrawl_changed";

    /// <summary>
    /// The <c>kv</c> key of when the re-run of a finished job began (Unix milliseconds), kept until the job finishes
    /// again, so a re-run that is interrupted and resumed still reads its sitemaps again (<see cref="BeginRerun"/>).
    /// </summary>
    internal const string RerunStartedKey = "rerun_started";

    /// <summary>The <c>kv</c> key present while a re-run's start requests are not all stored yet.</summary>
    internal const string RerunStartsPendingKey = "rerun_starts_pending";

    /// <summary>A counter in <c>kv</c>; 0 when it was never written.</summary>
    public long GetCounter(string key) =>
        long.TryParse(GetValue(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private void AddToCounter(string key, long delta)
    {
        if (delta == 0)
        {
            return;
        }

        var add = Command(
            "INSERT INTO kv (key, value) VALUES ($key, CAST($delta AS TEXT)) ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + $delta AS TEXT)",
            ("$key", SqliteType.Text), ("$delta", SqliteType.Integer));
        add.Parameters[0].Value = key;
        add.Parameters[1].Value = delta;
        add.ExecuteNonQuery();
    }

    /// <summary>The <c>kv</c> key of <see cref="JobStateUpdate.InFlight"/>.</summary>
    internal const string InFlightKey = "in_flight";

    private void WriteState(JobStateUpdate state)
    {
        PutValue("spider_state", state.SpiderStateJson);
        PutValue("cookies", state.CookiesJson);
        PutValue(JobFetchCounts.Key, state.FetchesJson);
        PutValue(InFlightKey, state.InFlight?.ToString(CultureInfo.InvariantCulture));
    }

    private void DeleteValue(string key)
    {
        var delete = Command("DELETE FROM kv WHERE key = $key", ("$key", SqliteType.Text));
        delete.Parameters[0].Value = key;
        delete.ExecuteNonQuery();
    }

    private void PutValue(string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        var put = Command(
            "INSERT INTO kv (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$key", SqliteType.Text), ("$value", SqliteType.Text));
        put.Parameters[0].Value = key;
        put.Parameters[1].Value = value;
        put.ExecuteNonQuery();
    }

    private void PutMeta(string key, string value)
    {
        var put = Command(
            "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            ("$key", SqliteType.Text), ("$value", SqliteType.Text));
        put.Parameters[0].Value = key;
        put.Parameters[1].Value = value;
        put.ExecuteNonQuery();
    }

    private void Touch(long now) => PutMeta("updated_at", FormatTime(DateTimeOffset.FromUnixTimeMilliseconds(now)));

    private static Dictionary<string, string> ReadMeta(SqliteConnection connection, string? directory)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT key, value FROM meta";
        try
        {
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                meta[reader.GetString(0)] = reader.GetString(1);
            }
        }
        catch (SqliteException ex) when (directory is not null && ex.SqliteErrorCode == 1)
        {
            throw JobDirectoryException.NotAJob(directory, ex.Message);
        }

        return meta;
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one write transaction. A durable commit waits for the disk (<c>synchronous =
    /// FULL</c>); a non-durable one (leases) does not, and is made durable by the next durable commit.
    /// </summary>
    private T Write<T>(bool durable, Func<T> work)
    {
        if (durable != _durable)
        {
            Command(durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL").ExecuteNonQuery();
            _durable = durable;
        }

        Command("BEGIN IMMEDIATE").ExecuteNonQuery();
        try
        {
            var result = work();
            Command("COMMIT").ExecuteNonQuery();
            return result;
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    private void Rollback()
    {
        // After some errors (a full disk among them) SQLite has already rolled the transaction back itself.
        if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) != 0)
        {
            return;
        }

        try
        {
            Command("ROLLBACK").ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The original error is the one worth reporting; the connection closes with the store.
        }
    }

    private SqliteCommand Command(string sql, params ReadOnlySpan<(string Name, SqliteType Type)> parameters)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            return command;
        }

        command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        command.Prepare();
        _commands.Add(sql, command);
        return command;
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string ConnectionString(string path, SqliteOpenMode mode, JobStoreOptions options) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
        DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
    }.ToString();
}
