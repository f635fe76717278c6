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
/// <param name="FetchesJson">The pages fetched plainly and rendered over the job's runs so far (<see cref="JobFetchCounts"/>), as JSON.</param>
internal sealed record JobStateUpdate(string? SpiderStateJson = null, string? CookiesJson = null, long? InFlight = null, string? FetchesJson = null)
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
                newer.InFlight ?? older.InFlight,
                newer.FetchesJson ?? older.FetchesJson),
        };
}

/// <summary>How a job's pages were fetched, over all its runs: over plain HTTP, or rendered in a browser.</summary>
/// <param name="Plain">Download attempts over plain HTTP.</param>
/// <param name="Rendered">Pages rendered in a browser.</param>
internal sealed record JobFetchCounts(long Plain, long Rendered)
{
    /// <summary>The <c>kv</c> key it is kept under.</summary>
    public const string Key = "fetches";

    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(new { plain = Plain, rendered = Rendered });

    /// <summary>Reads the stored counts; none (zeros) when absent or unreadable.</summary>
    public static JobFetchCounts Parse(string? json)
    {
        if (json is null)
        {
            return new JobFetchCounts(0, 0);
        }

        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            var root = document.RootElement;
            return new JobFetchCounts(
                root.TryGetProperty("plain", out var plain) && plain.TryGetInt64(out var p) ? p : 0,
                root.TryGetProperty("rendered", out var rendered) && rendered.TryGetInt64(out var r) ? r : 0);
        }
        catch (System.Text.Json.JsonException)
        {
            return new JobFetchCounts(0, 0);
        }
    }
}
