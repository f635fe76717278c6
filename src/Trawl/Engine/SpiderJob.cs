using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Jobs;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// Opens the job of a spider's durable crawl: derives from the spider and the crawl's options the values the job
/// records (its name, start URLs, settings and proxy fingerprints) and hands the job the spider's state.
/// </summary>
internal static class SpiderJob
{
    public static Task<JobSession> OpenAsync(Spider spider, CrawlOptions options, TimeProvider time, CookieContainer? cookies, ILogger logger, CancellationToken cancellationToken) =>
        JobSession.OpenAsync(
            new JobSessionSettings
            {
                Directory = Path.GetFullPath(options.JobDir ?? throw new ArgumentException("The crawl has no job directory.", nameof(options))),
                Fresh = options.FreshJob,
                SpiderName = spider.Name,
                SettingsFingerprint = SettingsFingerprint(spider, options),
                StartUrlsJson = JsonSerializer.Serialize(spider.StartUrls),
                ProxySetup = options.Downloader.ProxySetupFingerprint(),
                Output = options.Output,
                RecrawlAfter = options.RecrawlAfter,
                SaveSpiderState = spider.State.ToJson,
                LoadSpiderState = spider.State.LoadJson,
                TimeProvider = time,
            },
            cookies,
            logger,
            cancellationToken);

    // What must stay the same for a resumed job to mean the same crawl: the spider and the options that decide
    // which requests exist.
    private static string SettingsFingerprint(Spider spider, CrawlOptions options)
    {
        // Scope joins the fingerprint only when set, so jobs made before it existed keep their fingerprint.
        var text = options.AllowedDomains.Count == 0
            ? JsonSerializer.Serialize(new { spider = spider.Name, settings = spider.SettingsText, options.MaxDepth })
            : JsonSerializer.Serialize(new
            {
                spider = spider.Name,
                settings = spider.SettingsText,
                options.MaxDepth,
                allowedDomains = options.AllowedDomains.Select(static d => d.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal),
            });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
