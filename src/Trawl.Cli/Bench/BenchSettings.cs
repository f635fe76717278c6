namespace Trawl.Cli.Bench;

/// <summary>What <c>trawl bench</c> was asked to do, checked.</summary>
/// <param name="Pages">Synthetic pages of the site bench starts (ignored with <paramref name="Url"/>, whose site says how many it has).</param>
/// <param name="Concurrency">Requests in flight, in all and to the one host of the site.</param>
/// <param name="Runs">Runs of each mode; the report gives medians.</param>
/// <param name="Modes">The crawl modes: memory, jobdir or both.</param>
/// <param name="Url">A sandbox site served already (for example an export served by nginx), or <see langword="null"/> to start one.</param>
/// <param name="Ceiling">Whether to measure the fetch and fetch+parse ceilings too.</param>
/// <param name="Json">Whether to print JSON instead of the table.</param>
/// <param name="SamplesFile">A CSV file for the runs' per-second samples, or <see langword="null"/>.</param>
/// <param name="Fields">The item fields the crawls extract, as <c>NAME=SELECTOR</c>, in order.</param>
/// <param name="MaxBytesInFlight">The crawls' <c>--max-bytes-in-flight</c>, as given, or <see langword="null"/> for the default.</param>
internal sealed record BenchSettings(int Pages, int Concurrency, int Runs, IReadOnlyList<BenchMode> Modes, Uri? Url, bool Ceiling, bool Json, string? SamplesFile, IReadOnlyList<string> Fields, string? MaxBytesInFlight = null)
{
    /// <summary>The field the crawls extract when none is given: the page's title, as the Scrapy spider of <c>bench/compare-scrapy.sh</c> does.</summary>
    public static readonly IReadOnlyList<string> DefaultFields = ["title=title::text"];

    /// <summary>Every mode to run in a round, crawls and ceilings.</summary>
    public IReadOnlyList<BenchMode> AllModes => Ceiling ? [.. Modes, BenchMode.Fetch, BenchMode.FetchParse] : Modes;
}

/// <summary>The site a benchmark crawls.</summary>
/// <param name="Url">Its home page.</param>
/// <param name="SyntheticPages">Its pages under <c>/pages/</c>; with the home page, <see cref="Pages"/> in all.</param>
/// <param name="Server">Who serves it, for the report.</param>
internal sealed record BenchSite(Uri Url, int SyntheticPages, string Server)
{
    /// <summary>Every page a crawl of the site fetches: the synthetic pages and the home page.</summary>
    public long Pages => SyntheticPages + 1L;
}
