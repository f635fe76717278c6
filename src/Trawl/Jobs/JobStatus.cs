using Trawl.Frontier;

namespace Trawl.Jobs;

/// <summary>A summary of a job, for <c>trawl status</c>.</summary>
/// <param name="Metadata">What the job is.</param>
/// <param name="Counts">Requests by status.</param>
/// <param name="Items">Items committed so far.</param>
/// <param name="TopErrors">The most common errors of failed requests, most frequent first.</param>
/// <param name="DoneLastMinute">Requests completed as done in the minute before the status was taken.</param>
public sealed record JobStatus(
    JobMetadata Metadata,
    FrontierCounts Counts,
    long Items,
    IReadOnlyList<JobErrorCount> TopErrors,
    long DoneLastMinute)
{
    /// <summary>
    /// Committed items that failed on their way out (a pipeline threw on them, or the exporter could not write them);
    /// they are counted in <see cref="Items"/> and never exported.
    /// </summary>
    public long ItemsFailed { get; init; }

    /// <summary>The most common errors of failed items, most frequent first.</summary>
    public IReadOnlyList<JobErrorCount> TopItemErrors { get; init; } = [];

    /// <summary>Download attempts made over plain HTTP, over all the job's runs (0 in a job made before they were counted).</summary>
    public long FetchedPlain { get; init; }

    /// <summary>Pages rendered in a browser, over all the job's runs.</summary>
    public long Rendered { get; init; }

    /// <summary>When requests were last added or completed, or the job's metadata last changed.</summary>
    public DateTimeOffset LastActivity => Metadata.UpdatedAt;

    /// <summary>The output files the job writes its items to (recorded when it starts writing one), by full path.</summary>
    public IReadOnlyList<JobOutput> Outputs { get; init; } = [];

    /// <summary>
    /// Of the requests in progress (<see cref="FrontierCounts.InProgress"/>), how many the crawl running the job was
    /// downloading or parsing at its last commit; <see langword="null"/> when the job has no record of it (a job from
    /// before it was recorded). The others are leased ahead: queued in the crawl, not started. A crawl that stops
    /// records zero; after a crash, the requests still in progress go back to pending when the job is next run.
    /// </summary>
    public long? InFlight { get; init; }

    /// <summary>
    /// Of the pages the latest re-crawl (<c>--recrawl-after</c>) asked for conditionally, how many were answered
    /// <c>304 Not Modified</c>: done again without being parsed, their items not written again.
    /// </summary>
    public long RecrawlUnchanged { get; init; }

    /// <summary>Of the pages the latest re-crawl asked for conditionally, how many were answered in full and parsed again.</summary>
    public long RecrawlChanged { get; init; }

    /// <summary>Requests waiting to be fetched: those pending, and those leased ahead (<see cref="LeasedAhead"/>).</summary>
    public long Queued => Counts.Pending + LeasedAhead;

    /// <summary>Requests in progress that the crawl holds queued, leased ahead but not started (0 when <see cref="InFlight"/> is not known).</summary>
    public long LeasedAhead => InFlight is { } inFlight ? Math.Max(0, Counts.InProgress - inFlight) : 0;
}

/// <summary>An output file of a job and how far the job has written it.</summary>
/// <param name="Path">The file's full path.</param>
/// <param name="LastItem">The sequence of the last item written to it; 0 before the first.</param>
/// <param name="Position">The file's length in bytes after that item (or, before the first, where the job began writing).</param>
/// <param name="Items">How many items the file holds up to <paramref name="Position"/>, when recorded.</param>
public sealed record JobOutput(string Path, long LastItem, long Position, long? Items);

/// <summary>A request of a job that failed for good.</summary>
/// <param name="Url">Its URL (as stored: a damaged request shows what could be read of it).</param>
/// <param name="Kind">The error kind, for example <c>timeout</c> or <c>http_404</c>.</param>
/// <param name="Message">The error message.</param>
/// <param name="HttpStatus">The last HTTP status it got, if any.</param>
/// <param name="Attempts">How many attempts it had.</param>
/// <param name="FailedAt">When it failed.</param>
public sealed record JobFailedRequest(string Url, string Kind, string Message, int? HttpStatus, int Attempts, DateTimeOffset FailedAt);

/// <summary>How many failed requests ended with one error.</summary>
/// <param name="Kind">The error kind, for example <c>timeout</c> or <c>http_404</c>.</param>
/// <param name="Message">The error message.</param>
/// <param name="Count">How many failed requests ended with it.</param>
public sealed record JobErrorCount(string Kind, string Message, long Count);

/// <summary>What a job is: recorded when it is created, updated as it runs.</summary>
/// <param name="FormatVersion">The job directory's format.</param>
/// <param name="SpiderName">The spider's name, if recorded.</param>
/// <param name="SettingsFingerprint">The fingerprint of the settings, if recorded.</param>
/// <param name="StartUrlsJson">The start URLs as a JSON array, if recorded.</param>
/// <param name="CreatedAt">When the job was created.</param>
/// <param name="UpdatedAt">When requests were last added or completed, or the metadata last changed.</param>
/// <param name="IsFinished">Whether the crawl ran to its end (<see cref="JobStore.MarkFinishedAsync"/>).</param>
public sealed record JobMetadata(
    int FormatVersion,
    string? SpiderName,
    string? SettingsFingerprint,
    string? StartUrlsJson,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool IsFinished);
