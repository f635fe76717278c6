using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Spiders;

namespace Trawl.Jobs;

/// <summary>
/// One run of a spider over a job directory: opens (or resumes) the job, restores the spider's state and cookies,
/// captures them with every commit, and marks the job finished (removing it unless kept) when the crawl ends.
/// </summary>
internal sealed class JobSession : IAsyncDisposable
{
    /// <summary>The <c>kv</c> key of the proxy setup's fingerprint (without credentials) the job last ran with.</summary>
    internal const string ProxySetupKey = "proxy_setup";

    private readonly JobStore _store;
    private readonly Spider _spider;
    private readonly CookieContainer? _cookies;

    private JobSession(JobStore store, Spider spider, CookieContainer? cookies, bool resuming)
    {
        _store = store;
        _spider = spider;
        _cookies = cookies;
        Resuming = resuming;
    }

    /// <summary>Whether an unfinished job is being resumed (rather than a new or finished one started).</summary>
    public bool Resuming { get; }

    /// <summary>Whether the job had finished before and is being run again.</summary>
    public bool Rerun => _store.WasFinished;

    public string Directory => _store.Directory;

    public SqliteFrontier Frontier => _store.Frontier;

    public static async Task<JobSession> OpenAsync(Spider spider, CrawlOptions options, CookieContainer? cookies, ILogger logger, CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(options.JobDir!);
        if (options.FreshJob && (File.Exists(directory) || System.IO.Directory.Exists(directory)))
        {
            var aside = await JobStore.MoveAsideAsync(directory, options.TimeProvider, cancellationToken).ConfigureAwait(false);
            if (aside is not null)
            {
                Log.JobMovedAside(logger, directory, aside);
            }
        }

        var fingerprint = SettingsFingerprint(spider, options);
        var store = await JobStore.OpenAsync(
            directory,
            new JobStoreOptions
            {
                TimeProvider = options.TimeProvider,
                SpiderName = spider.Name,
                SettingsFingerprint = fingerprint,
                StartUrlsJson = JsonSerializer.Serialize(spider.StartUrls),
            },
            cancellationToken).ConfigureAwait(false);
        try
        {
            var proxySetup = options.Downloader.ProxySetupFingerprint();
            if (store.IsNew)
            {
                await store.SetValueAsync(ProxySetupKey, proxySetup, cancellationToken).ConfigureAwait(false);
                Log.JobCreated(logger, directory);
                return new JobSession(store, spider, cookies, resuming: false);
            }

            if (options.Output is { } output)
            {
                await JobOutputCheck.ThrowIfAheadAsync(store, output, cancellationToken).ConfigureAwait(false);
            }

            if (!string.Equals(store.PreviousSpiderName, spider.Name, StringComparison.Ordinal))
            {
                Log.JobSpiderChanged(logger, directory, store.PreviousSpiderName ?? "?", spider.Name);
            }
            else if (!string.Equals(store.PreviousSettingsFingerprint, fingerprint, StringComparison.Ordinal))
            {
                Log.JobSettingsChanged(logger, directory);
            }

            if (await store.LoadSpiderStateAsync(cancellationToken).ConfigureAwait(false) is { } state)
            {
                spider.State.LoadJson(state);
            }

            if (cookies is not null && await store.LoadCookiesAsync(cancellationToken).ConfigureAwait(false) is { } json)
            {
                CookieJar.Restore(cookies, json);
            }

            await store.SetSettingsFingerprintAsync(fingerprint, cancellationToken).ConfigureAwait(false);
            await store.SetSpiderNameAsync(spider.Name, cancellationToken).ConfigureAwait(false);
            await ApplyProxyChangeAsync(store, proxySetup, logger, cancellationToken).ConfigureAwait(false);
            if (store.WasFinished)
            {
                await store.MarkRunningAsync(cancellationToken).ConfigureAwait(false);
                Log.JobRerun(logger, directory);
                if (options.RecrawlAfter is { } age)
                {
                    var requeued = await store.RequeueDoneAsync(options.TimeProvider.GetUtcNow() - age, cancellationToken).ConfigureAwait(false);
                    Log.Recrawl(logger, requeued, age);
                }

                return new JobSession(store, spider, cookies, resuming: false);
            }

            var counts = await store.Frontier.GetCountsAsync(cancellationToken).ConfigureAwait(false);
            Log.JobResumed(logger, directory, counts.Pending, counts.Done, store.RecoveredLeases);
            return new JobSession(store, spider, cookies, resuming: true);
        }
        catch (JobStoreFullException ex)
        {
            // Resuming writes a little metadata; on a full disk that is a configuration problem to fix before a crawl.
            await store.DisposeAsync().ConfigureAwait(false);
            throw JobDirectoryException.DiskFull(directory, ex);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Commits a batch together with the spider's state and cookies, in one transaction.</summary>
    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> batch, CancellationToken cancellationToken) =>
        _store.Frontier.CompleteAsync(batch, CaptureState(), cancellationToken);

    /// <summary>Saves state once more (a run may end with nothing left to commit), and marks the job finished when it is.</summary>
    public async ValueTask CloseAsync(bool finished, CancellationToken cancellationToken)
    {
        await _store.SaveStateAsync(CaptureState(), cancellationToken).ConfigureAwait(false);
        if (finished)
        {
            await _store.MarkFinishedAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    // Requests that failed through the old proxies (or without one) may well succeed through the new ones: they go back
    // to pending. A job from before proxies were recorded ran direct.
    private static async ValueTask ApplyProxyChangeAsync(JobStore store, string proxySetup, ILogger logger, CancellationToken cancellationToken)
    {
        var previous = await store.GetValueAsync(ProxySetupKey, cancellationToken).ConfigureAwait(false) ?? "direct";
        if (string.Equals(previous, proxySetup, StringComparison.Ordinal))
        {
            return;
        }

        var retried = await store.RetryFailedAsync(cancellationToken).ConfigureAwait(false);
        await store.SetValueAsync(ProxySetupKey, proxySetup, cancellationToken).ConfigureAwait(false);
        Log.ProxySetupChanged(logger, store.Directory, previous, proxySetup, retried);
    }

    private JobStateUpdate CaptureState() =>
        new(_spider.State.ToJson(), _cookies is null ? null : CookieJar.Serialize(_cookies));

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
