namespace Trawl.Jobs;

/// <summary>
/// Crawl state to write in the same transaction as a batch of completions, so the state on disk always matches the
/// progress on disk. Each member that is <see langword="null"/> is left as it is.
/// </summary>
/// <param name="SpiderStateJson">The spider's state (<see cref="Spiders.SpiderState.ToJson"/>).</param>
/// <param name="CookiesJson">The cookie jar, as JSON.</param>
/// <param name="InFlight">
/// How many of the job's leased requests the crawl is downloading or parsing now; the rest of those leased are queued in
/// it, leased ahead (<see cref="JobStatus.InFlight"/>).
/// </param>
internal sealed record JobStateUpdate(string? SpiderStateJson = null, string? CookiesJson = null, long? InFlight = null)
{
    /// <summary>Combines an older update with a newer one: the newer one's values win.</summary>
    internal static JobStateUpdate? Merge(JobStateUpdate? older, JobStateUpdate? newer) =>
        (older, newer) switch
        {
            (null, _) => newer,
            (_, null) => older,
            _ => new JobStateUpdate(
                newer.SpiderStateJson ?? older.SpiderStateJson,
                newer.CookiesJson ?? older.CookiesJson,
                newer.InFlight ?? older.InFlight),
        };
}
