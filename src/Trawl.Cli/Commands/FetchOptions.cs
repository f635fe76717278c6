using System.CommandLine;
using System.Globalization;
using Trawl.Crawling;
using Trawl.HttpCache;

namespace Trawl.Cli.Commands;

/// <summary>
/// How pages are fetched, for <c>trawl crawl</c> and <c>trawl parse</c> alike, beside <see cref="CrawlSettingsOptions"/>:
/// the HTTP cache and HTTP/2.
/// </summary>
internal sealed class FetchOptions
{
    public Option<string?> HttpCache { get; } = new("--http-cache") { Description = "Keep responses in DIR and answer later requests from it: a second run sends no traffic.", HelpName = "DIR" };

    public Option<string?> HttpCachePolicy { get; } = new("--http-cache-policy") { Description = "forever (default: use what is stored, whatever its headers say) or rfc9111 (use it while fresh, then revalidate).", HelpName = "POLICY" };

    public Option<string?> HttpCacheExpire { get; } = new("--http-cache-expire") { Description = "Fetch again what was stored longer ago than DURATION (like 90s, 30m, 12h, 7d; default never).", HelpName = "DURATION" };

    public Option<string?> HttpCacheStatus { get; } = new("--http-cache-status") { Description = "HTTP statuses to store, comma-separated (default: all below 500 but 408 and 429).", HelpName = "CODES" };

    public Option<bool> HttpCacheCredentials { get; } = new("--http-cache-credentials") { Description = "Also store responses to requests that carry an Authorization or Cookie header of their own." };

    public Option<bool> NoHttp2 { get; } = new("--no-http2") { Description = "Use HTTP/1.1 only, even where a server offers HTTP/2 over TLS." };

    public Option<bool> Http2PriorKnowledge { get; } = new("--http2-prior-knowledge") { Description = "Fetch http:// URLs with HTTP/2 from the first byte (h2c), for servers known to speak it." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { HttpCache, HttpCachePolicy, HttpCacheExpire, HttpCacheStatus, HttpCacheCredentials, NoHttp2, Http2PriorKnowledge })
        {
            command.Add(option);
        }
    }

    /// <summary>Applies the options to <paramref name="options"/>, throwing <see cref="CliUsageException"/> with one clear message.</summary>
    public void Apply(ParseResult parse, CrawlOptions options)
    {
        if (parse.GetValue(NoHttp2) && parse.GetValue(Http2PriorKnowledge))
        {
            throw new CliUsageException("--no-http2 and --http2-prior-knowledge contradict each other: choose one.");
        }

        options.Downloader.Http2 = !parse.GetValue(NoHttp2);
        options.Downloader.Http2PriorKnowledge = parse.GetValue(Http2PriorKnowledge);
        ApplyCache(parse, options.HttpCache);
    }

    private void ApplyCache(ParseResult parse, HttpCacheOptions cache)
    {
        if (parse.GetValue(HttpCache) is not { } directory)
        {
            if (parse.GetValue(HttpCachePolicy) is not null || parse.GetValue(HttpCacheExpire) is not null || parse.GetValue(HttpCacheStatus) is not null || parse.GetValue(HttpCacheCredentials))
            {
                throw new CliUsageException("--http-cache-policy, --http-cache-expire, --http-cache-status and --http-cache-credentials tune the HTTP cache: add --http-cache DIR.");
            }

            return;
        }

        cache.Directory = string.IsNullOrWhiteSpace(directory) ? throw new CliUsageException("--http-cache needs a directory.") : directory;
        cache.Policy = parse.GetValue(HttpCachePolicy)?.Trim().ToLowerInvariant() switch
        {
            null or "forever" or "keep-forever" => Trawl.HttpCache.HttpCachePolicy.KeepForever,
            "rfc9111" or "rfc" => Trawl.HttpCache.HttpCachePolicy.Rfc9111,
            var other => throw new CliUsageException($"Invalid --http-cache-policy '{other}': use forever or rfc9111."),
        };
        if (parse.GetValue(HttpCacheExpire) is { } expire)
        {
            cache.Expiration = Durations.TryParse(expire, out var age) && age > TimeSpan.Zero
                ? age
                : throw new CliUsageException($"Invalid --http-cache-expire '{expire}': give a duration such as 90s, 30m, 12h, 7d or 1h30m.");
        }

        if (parse.GetValue(HttpCacheStatus) is { } statuses)
        {
            foreach (var code in statuses.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                cache.Statuses.Add(int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 100 and <= 599
                    ? status
                    : throw new CliUsageException($"Invalid --http-cache-status '{statuses}': give HTTP status codes separated by commas, like 200,301,404."));
            }

            if (cache.Statuses.Count == 0)
            {
                throw new CliUsageException("--http-cache-status lists no status: give HTTP status codes separated by commas, like 200,301,404.");
            }
        }

        cache.StoreRequestsWithCredentials = parse.GetValue(HttpCacheCredentials);
    }
}
