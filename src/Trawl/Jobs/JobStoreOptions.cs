namespace Trawl.Jobs;

/// <summary>Options for opening a <see cref="JobStore"/>.</summary>
internal sealed class JobStoreOptions
{
    /// <summary>The clock for leases, retries and timestamps.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// How long a lease is held before it lapses unless renewed; <see cref="Timeout.InfiniteTimeSpan"/> for never.
    /// A job directory has a single process, which gets back its in-progress requests on resume, so leases need not
    /// expire.
    /// </summary>
    /// <value>The default is <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    public TimeSpan LeaseDuration { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>The spider's name, recorded when a new job is created.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? SpiderName { get; set; }

    /// <summary>
    /// A fingerprint of the settings that shape the crawl, recorded when a new job is created. On resume the stored one
    /// is in <see cref="JobStore.PreviousSettingsFingerprint"/>, so the caller can warn when it differs.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? SettingsFingerprint { get; set; }

    /// <summary>The start URLs as a JSON array, recorded when a new job is created.</summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? StartUrlsJson { get; set; }

    /// <summary>The most memory SQLite's page cache may use, in bytes. Memory stays flat however large the job grows.</summary>
    /// <value>The default is 16 MiB.</value>
    public long PageCacheBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>How long to wait for a SQLite lock held by another connection (for example a <c>sqlite3</c> shell).</summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The largest <c>job.db</c>, in bytes, that opening checks in full with SQLite's <c>PRAGMA quick_check</c> before
    /// writing to it. The full check reads every page (about 0.3 seconds per million requests on a warm disk), so a
    /// larger job gets the header, format, schema and small-table checks only, and any damage deeper in it is reported
    /// when the crawl reaches it. 0 never runs the full check; <see cref="long.MaxValue"/> always does.
    /// </summary>
    /// <value>The default is 256 MiB (about a million requests).</value>
    public long FullCheckMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// How many fingerprints of requests already stored in the job are kept in memory, so that links seen before are
    /// dropped without being serialized and offered to the database only to be ignored there. Only fingerprints whose
    /// rows are durably committed are kept, so this never drops a link the job does not have, even after a crash.
    /// Each takes about 40 bytes; 0 turns the cache off.
    /// </summary>
    /// <value>The default is 262,144 (at most about 10 MiB).</value>
    public int SeenCacheSize { get; set; } = 256 * 1024;

    /// <summary>Checks every option and throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null");
        Require(LeaseDuration == Timeout.InfiniteTimeSpan || LeaseDuration > TimeSpan.Zero, nameof(LeaseDuration), "must be positive or Timeout.InfiniteTimeSpan");
        Require(PageCacheBytes >= 64 * 1024, nameof(PageCacheBytes), "must be at least 64 KiB");
        Require(BusyTimeout >= TimeSpan.Zero, nameof(BusyTimeout), "must not be negative");
        Require(FullCheckMaxBytes >= 0, nameof(FullCheckMaxBytes), "must not be negative");
        Require(SeenCacheSize >= 0, nameof(SeenCacheSize), "must not be negative");
    }

    private static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Job store option {option} {problem}.", option);
        }
    }
}
