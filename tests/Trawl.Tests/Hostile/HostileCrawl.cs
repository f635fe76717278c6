using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Hostile;

/// <summary>How one request of a finished crawl ended, as its job recorded it.</summary>
/// <param name="Status">done, failed, skipped, pending or in_progress.</param>
/// <param name="Attempts">Completed attempts: the first try and every retry.</param>
public sealed record RequestOutcome(string Url, string Status, int Attempts, string? ErrorKind, string? LastError, int? HttpStatus);

/// <summary>A crawl run to its end against hostile endpoints, with the fate of every request read back from its job.</summary>
public sealed class HostileRun
{
    public required CrawlResult Result { get; init; }

    public required IReadOnlyList<JsonObject> Items { get; init; }

    /// <summary>Every request the crawl scheduled, by URL.</summary>
    public required IReadOnlyDictionary<string, RequestOutcome> Outcomes { get; init; }

    public RequestOutcome Outcome(Uri url) => Outcomes.TryGetValue(url.AbsoluteUri, out var outcome)
        ? outcome
        : throw new ShouldAssertException($"No request for {url} was scheduled. Scheduled: {string.Join(", ", Outcomes.Keys)}");

    public IEnumerable<string> ItemUrls => Items.Select(item => item["url"]!.GetValue<string>());
}

/// <summary>
/// Runs crawls for the hostile-server tests: durable (the job is kept, so each request's outcome can be read back),
/// items to a JSON Lines file, quick retries, and a generous limit on the whole run: a crawl that stalls is aborted, and
/// the test then fails on <see cref="CrawlResult.Paused"/>. Requests that must time out get a short timeout of their
/// own (<see cref="TrapSiteSpider.TrapTimeout"/>); the site's pages get minutes, so that on a busy machine a page slow
/// to come is never taken for a timeout and fetched twice.
/// </summary>
public static class HostileCrawl
{
    /// <summary>How long any hostile crawl may take before it counts as stalled.</summary>
    public static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    public static SandboxOptions SiteOptions(int pages = 30) => new() { Pages = pages, QuotePages = 0, PageSize = 1024, Seed = 7, LinksPerPage = 5 };

    /// <summary>Options with at most two retries, 100-200 ms apart, and timeouts that only bound a hang.</summary>
    public static CrawlOptions Options(TempDirectory temp)
    {
        var options = new CrawlOptions
        {
            HandleSignals = false,
            JobDir = temp.File("job"),
            KeepJob = true,
            Output = temp.File("items.jsonl"),
            CheckpointInterval = TimeSpan.FromMilliseconds(50),
            // The hostile pages are big, and on a busy machine parsing one can outlast the default budget of 10 s:
            // these tests are about what the pages hold, the budget has its own (ParseBudgetTests).
            MaxParseTime = TimeSpan.FromMinutes(10),
        };
        options.Downloader.Timeout = TimeSpan.FromMinutes(1);
        options.Downloader.ConnectTimeout = TimeSpan.FromMinutes(1);
        options.Retry.MaxRetries = 2;
        options.Retry.Backoff = TimeSpan.FromMilliseconds(100);
        options.Retry.MaxBackoff = TimeSpan.FromMilliseconds(200);
        return options;
    }

    public static async Task<HostileRun> RunAsync(Spider spider, CrawlOptions options)
    {
        using var abort = new CancellationTokenSource(RunLimit);
        var result = await new CrawlerBuilder(spider, options).UseAbortToken(abort.Token).Build().RunAsync().WaitAsync(RunLimit + TimeSpan.FromSeconds(30));
        result.Paused.ShouldBeFalse($"The crawl did not finish within {RunLimit.TotalSeconds} s: {result.PauseReason}");
        result.Error.ShouldBeNull();

        var items = options.Output is { } output && File.Exists(output)
            ? File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!.AsObject()).ToList()
            : [];
        return new HostileRun { Result = result, Items = items, Outcomes = ReadOutcomes(options.JobDir!) };
    }

    /// <summary>Checks that every page of the site was fetched exactly once, and yielded exactly one item.</summary>
    public static void ShouldHaveCrawledTheWholeSite(this HostileRun run, SandboxServer server, SandboxOptions siteOptions)
    {
        var expected = SandboxSite.ReachablePaths(siteOptions);
        var fetches = TestSites.PageFetches(server, siteOptions);
        fetches.Keys.ShouldBe(expected, ignoreOrder: true);
        fetches.Where(pair => pair.Value != 1).ShouldBeEmpty();
        var itemPaths = run.ItemUrls.Select(url => new Uri(url)).Where(url => url.Port == server.BaseUrl.Port && expected.Contains(url.PathAndQuery)).Select(url => url.PathAndQuery).ToList();
        itemPaths.ShouldBe(expected, ignoreOrder: true);
        foreach (var path in expected)
        {
            run.Outcome(new Uri(server.BaseUrl, path)).Status.ShouldBe("done");
        }
    }

    private static Dictionary<string, RequestOutcome> ReadOutcomes(string jobDir)
    {
        var path = Path.Combine(jobDir, "job.db");
        var outcomes = new Dictionary<string, RequestOutcome>(StringComparer.Ordinal);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT request, status, attempts, error_kind, last_error, http_status FROM requests";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            using var json = JsonDocument.Parse((byte[])reader.GetValue(0));
            var url = json.RootElement.GetProperty("url").GetString()!;
            var status = reader.GetInt32(1) switch
            {
                0 => "pending",
                1 => "in_progress",
                2 => "done",
                3 => "failed",
                4 => "skipped",
                var other => other.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            outcomes[url] = new RequestOutcome(
                url,
                status,
                reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetInt32(5));
        }

        return outcomes;
    }
}

/// <summary>
/// Crawls a sandbox site from its home page, plus extra start URLs (the traps), following the site's own links. One
/// item per response: the URL and the heading of an HTML page, or the content type of anything else.
/// </summary>
public sealed class TrapSiteSpider(Uri site, params string[] extraStartUrls) : Spider
{
    public override string Name => "trap-site";

    /// <summary>
    /// The download timeout of the extra start URLs (the traps), for tests in which they time out; the site's own
    /// pages keep the crawl's timeout.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the crawl's timeout for every request.</value>
    public TimeSpan? TrapTimeout { get; init; }

    public override IEnumerable<Request> StartRequests()
    {
        yield return new Request(site);
        foreach (var url in extraStartUrls)
        {
            var request = new Request(url);
            if (TrapTimeout is { } timeout)
            {
                request.Meta[RequestMeta.DownloadTimeout] = timeout.TotalSeconds;
            }

            yield return request;
        }
    }

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!response.IsHtml)
        {
            yield return new { url = response.Url.AbsoluteUri, contentType = response.ContentType };
            yield break;
        }

        yield return new { url = response.Url.AbsoluteUri, title = response.Css("h1::text").Get() };
        foreach (var link in response.FollowAll(response.Css("a[href]")))
        {
            if (link.Url.Host == site.Host && link.Url.Port == site.Port)
            {
                yield return link;
            }
        }

        await Task.CompletedTask;
    }
}
