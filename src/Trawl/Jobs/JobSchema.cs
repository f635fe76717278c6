namespace Trawl.Jobs;

/// <summary>
/// The layout of <c>job.db</c>, the one SQLite database of a job directory, and the constants that identify it.
/// </summary>
/// <remarks>
/// <para>Format version 1. Tables:</para>
/// <list type="bullet">
/// <item><c>meta(key TEXT PRIMARY KEY, value TEXT)</c>: <c>format_version</c>, <c>spider</c>, <c>settings_fingerprint</c>,
/// <c>created_at</c> and <c>updated_at</c> (ISO 8601 UTC), <c>status</c> (<c>running</c> or <c>finished</c>),
/// <c>start_urls</c> (JSON array) and <c>lease_epoch</c> (bumped on every open, the high half of lease tokens).
/// Key/value rows rather than columns, so any later trawl can read <c>format_version</c> however the rest changes.</item>
/// <item><c>requests</c>: one row per scheduled request. <c>status</c> is 0 pending, 1 in progress (leased), 2 done,
/// 3 failed, 4 skipped. <c>attempts</c> counts completed attempts only (done, retry, failed): a lease that is released,
/// expires or is interrupted by a crash never counts, so the next lease's <see cref="Frontier.Lease.Attempt"/> is
/// <c>attempts + 1</c>. <c>request</c> is the request as UTF-8 JSON (<see cref="Http.RequestJson"/>); <c>priority</c>,
/// <c>depth</c> and <c>callback</c> are copies of its fields for queries. <c>due_at</c> is null for a pending request
/// that is due now and the Unix time in milliseconds of a retry that is not due yet (moved to null once it is).
/// <c>lease_token</c> and <c>lease_expires_at</c> (null for never) describe the current lease. Other times are Unix
/// milliseconds too. <c>etag</c> and <c>last_modified</c> are the validators of the response a done request was last
/// fetched with (its <c>ETag</c> and <c>Last-Modified</c> headers, kept when a re-fetch is answered <c>304</c>): a
/// re-crawl sends them back as <c>If-None-Match</c> and <c>If-Modified-Since</c>. They were added after format 1 first
/// shipped: opening a job adds them when missing, and an older trawl ignores them.</item>
/// <item><c>counts(status, n)</c>: requests per status, kept by triggers so counting never scans.</item>
/// <item><c>items(seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id, json BLOB)</c>: the item log.</item>
/// <item><c>item_failures(seq INTEGER UNIQUE, kind, error, failed_at)</c>: committed items a pipeline or the exporter
/// failed on (<c>pipeline_error</c>, <c>exporter_error</c>), which are never exported (a replay leaves them out). The item
/// is kept in <c>items</c>: its request was done, and it is counted there. <c>seq</c> is null when the item could not be
/// told. Added after format 1 first shipped: opening a job creates it when missing, and an older trawl ignores it.</item>
/// <item><c>exports(output TEXT PRIMARY KEY, seq, position, items)</c>: each exporter's checkpoint; <c>items</c> (the items in
/// the file up to <c>position</c>) is null in jobs written before it was recorded.</item>
/// <item><c>kv(key TEXT PRIMARY KEY, value TEXT)</c>: <c>spider_state</c> and <c>cookies</c>, each JSON, <c>proxy_setup</c>,
/// and <c>recrawl_unchanged</c> / <c>recrawl_changed</c> (the pages of the latest re-crawl answered <c>304</c> and in full).</item>
/// </list>
/// <para>Indexes on <c>requests</c>, each partial so it holds only the rows its query needs:
/// <c>requests_fingerprint</c> (unique, filtered requests only, so <see cref="Http.Request.DontFilter"/> requests may
/// repeat; deduplication is <c>INSERT OR IGNORE</c> against it), <c>requests_ready</c> (priority DESC, id; pending and
/// due: the lease query reads its head), <c>requests_delayed</c> (due_at; retries waiting), <c>requests_leased</c>
/// (lease_expires_at; in progress: reclaiming expired leases and the reset on open) and <c>requests_finished</c>
/// (status, updated_at; done, failed and skipped: the recent rate and the error summary).</para>
/// </remarks>
internal static class JobSchema
{
    /// <summary>The format this trawl writes and the newest it reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>SQLite's <c>application_id</c> of a job database: "TRWL".</summary>
    public const int ApplicationId = 0x5452574C;

    public const string DatabaseFileName = "job.db";
    public const string LockFileName = "lock";

    /// <summary>A new database is built under this name and renamed into place once complete.</summary>
    public const string NewDatabaseFileName = "job.db-new";

    public const int Pending = 0;
    public const int InProgress = 1;
    public const int Done = 2;
    public const int Failed = 3;
    public const int Skipped = 4;

    /// <summary>The table of failed items, for a job made before it existed.</summary>
    public const string CreateItemFailures = """
        CREATE TABLE IF NOT EXISTS item_failures (
            seq INTEGER UNIQUE,
            kind TEXT NOT NULL,
            error TEXT NOT NULL,
            failed_at INTEGER NOT NULL
        )
        """;

    /// <summary>The schema of format 1. Status values appear as literals so the partial indexes can be used.</summary>
    public const string CreateScript = """
        PRAGMA application_id = 1414682444;
        PRAGMA user_version = 1;
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            fingerprint BLOB NOT NULL,
            dont_filter INTEGER NOT NULL DEFAULT 0,
            status INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_token INTEGER,
            lease_expires_at INTEGER,
            priority INTEGER NOT NULL DEFAULT 0,
            depth INTEGER NOT NULL DEFAULT 0,
            callback TEXT,
            request BLOB NOT NULL,
            error_kind TEXT,
            last_error TEXT,
            http_status INTEGER,
            due_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            etag TEXT,
            last_modified TEXT
        );
        CREATE UNIQUE INDEX requests_fingerprint ON requests (fingerprint) WHERE dont_filter = 0;
        CREATE INDEX requests_ready ON requests (priority DESC, id) WHERE status = 0 AND due_at IS NULL;
        CREATE INDEX requests_delayed ON requests (due_at) WHERE status = 0 AND due_at IS NOT NULL;
        CREATE INDEX requests_leased ON requests (lease_expires_at) WHERE status = 1;
        CREATE INDEX requests_finished ON requests (status, updated_at) WHERE status >= 2;
        CREATE TABLE counts (
            status INTEGER PRIMARY KEY,
            n INTEGER NOT NULL
        );
        INSERT INTO counts (status, n) VALUES (0, 0), (1, 0), (2, 0), (3, 0), (4, 0);
        CREATE TRIGGER requests_counts_insert AFTER INSERT ON requests BEGIN
            UPDATE counts SET n = n + 1 WHERE status = NEW.status;
        END;
        CREATE TRIGGER requests_counts_update AFTER UPDATE OF status ON requests WHEN OLD.status <> NEW.status BEGIN
            UPDATE counts SET n = n - 1 WHERE status = OLD.status;
            UPDATE counts SET n = n + 1 WHERE status = NEW.status;
        END;
        CREATE TRIGGER requests_counts_delete AFTER DELETE ON requests BEGIN
            UPDATE counts SET n = n - 1 WHERE status = OLD.status;
        END;
        CREATE TABLE items (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id INTEGER NOT NULL,
            json BLOB NOT NULL
        );
        CREATE TABLE item_failures (
            seq INTEGER UNIQUE,
            kind TEXT NOT NULL,
            error TEXT NOT NULL,
            failed_at INTEGER NOT NULL
        );
        CREATE TABLE exports (
            output TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            position INTEGER NOT NULL,
            items INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE kv (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """;
}
