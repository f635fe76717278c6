using System.Net;
using Microsoft.Extensions.Logging;
using Trawl.Frontier;
using Trawl.Items;

namespace Trawl.Jobs;

/// <summary>
/// What a <see cref="JobSession"/> needs to know of the crawl it runs: where the job lives and the values that say which
/// crawl it is. The engine derives them from the spider and the crawl's options.
/// </summary>
internal sealed record JobSessionSettings
{
    /// <summary>The job directory, as a full path.</summary>
    public required string Directory { get; init; }

    /// <summary>Whether to move an existing job directory aside and start over.</summary>
    public bool Fresh { get; init; }

    /// <summary>The spider's name, recorded with the job.</summary>
    public required string SpiderName { get; init; }

    /// <summary>What must stay the same for a resumed job to mean the same crawl; a change is warned about.</summary>
    public required string SettingsFingerprint { get; init; }

    /// <summary>The spider's start URLs, as a JSON array, recorded with a new job.</summary>
    public required string StartUrlsJson { get; init; }

    /// <summary>The proxy setup's fingerprint, without credentials: a change sends failed requests back to pending.</summary>
    public required string ProxySetup { get; init; }

    /// <summary>The crawl's output file, if any: a resumed job refuses one that holds more than the job accounts for.</summary>
    public string? Output { get; init; }

    /// <summary>Re-running a finished job: pages fetched longer ago than this go back to pending.</summary>
    public TimeSpan? RecrawlAfter { get; init; }

    /// <summary>Writes the spider's own state as JSON, to be committed with every batch.</summary>
    public required Func<string> SaveSpiderState { get; init; }

    /// <summary>Restores the spider's own state from the JSON a resumed job holds.</summary>
    public required Action<string> LoadSpiderState { get; init; }

    /// <summary>The clock.</summary>
    public required TimeProvider TimeProvider { get; init; }
}

/// <summary>
/// One run of a crawl over a job directory: opens (or resumes) the job, restores the spider's state and cookies,
/// captures them with every commit, and marks the job finished when the crawl ends.
/// </summary>
internal sealed class JobSession : IAsyncDisposable
{
    /// <summary>The <c>kv</c> key of the proxy setup's fingerprint (without credentials) the job last ran with.</summary>
    internal const string ProxySetupKey = "proxy_setup";

    private readonly JobStore _store;
    private readonly Func<string> _saveSpiderState;
    private readonly CookieContainer? _cookies;
    private JobFetchCounts _earlierFetches = new(0, 0);

    private JobSession(JobStore store, Func<string> saveSpiderState, CookieContainer? cookies, bool resuming)
    {
        _store = store;
        _saveSpiderState = saveSpiderState;
        _cookies = cookies;
        Resuming = resuming;
    }

    /// <summary>Reads this run's pages fetched plainly and rendered, to be added to the earlier runs' and saved with every commit.</summary>
    public Func<(long Plain, long Rendered)>? Fetches { get; set; }

    /// <summary>Whether an unfinished job is being resumed (rather than a new or finished one started).</summary>
    public bool Resuming { get; }

    /// <summary>
    /// When the re-run of a finished job that this run makes, or resumes, began; <c>null</c> for a job's first run. A
    /// sitemap read in a re-run counts its child sitemaps listed without a <c>lastmod</c> as changed since then.
    /// </summary>
    public DateTimeOffset? RerunStartedAt { get; private init; }

    /// <summary>
    /// Whether the start requests are to be stored again, to be fetched anew whether seen or not: a re-run's, until
    /// <see cref="StartRequestsStoredAsync"/> records them stored, even when the run that began the re-run was killed first.
    /// </summary>
    public bool StartRequestsAgain { get; private set; }

    public string Directory => _store.Directory;

    public SqliteFrontier Frontier => _store.Frontier;

    public static async Task<JobSession> OpenAsync(JobSessionSettings settings, CookieContainer? cookies, ILogger logger, CancellationToken cancellationToken)
    {
        var directory = settings.Directory;
        if (settings.Fresh && (File.Exists(directory) || System.IO.Directory.Exists(directory)))
        {
            var aside = await JobStore.MoveAsideAsync(directory, settings.TimeProvider, cancellationToken).ConfigureAwait(false);
            if (aside is not null)
            {
                Log.JobMovedAside(logger, directory, aside);
            }
        }

        var store = await JobStore.OpenAsync(
            directory,
            new JobStoreOptions
            {
                TimeProvider = settings.TimeProvider,
                SpiderName = settings.SpiderName,
                SettingsFingerprint = settings.SettingsFingerprint,
                StartUrlsJson = settings.StartUrlsJson,
            },
            cancellationToken).ConfigureAwait(false);
        try
        {
            if (store.IsNew)
            {
                await store.SetValueAsync(ProxySetupKey, settings.ProxySetup, cancellationToken).ConfigureAwait(false);
                Log.JobCreated(logger, directory);
                return new JobSession(store, settings.SaveSpiderState, cookies, resuming: false);
            }

            if (settings.Output is { } output)
            {
                await JobOutputCheck.ThrowIfAheadAsync(store, output, cancellationToken).ConfigureAwait(false);
            }

            if (!string.Equals(store.PreviousSpiderName, settings.SpiderName, StringComparison.Ordinal))
            {
                Log.JobSpiderChanged(logger, directory, store.PreviousSpiderName ?? "?", settings.SpiderName);
            }
            else if (!string.Equals(store.PreviousSettingsFingerprint, settings.SettingsFingerprint, StringComparison.Ordinal))
            {
                Log.JobSettingsChanged(logger, directory);
            }

            if (await store.LoadSpiderStateAsync(cancellationToken).ConfigureAwait(false) is { } state)
            {
                settings.LoadSpiderState(state);
            }

            if (cookies is not null && await store.LoadCookiesAsync(cancellationToken).ConfigureAwait(false) is { } json)
            {
                CookieJar.Restore(cookies, json);
            }

            await store.SetSettingsFingerprintAsync(settings.SettingsFingerprint, cancellationToken).ConfigureAwait(false);
            await store.SetSpiderNameAsync(settings.SpiderName, cancellationToken).ConfigureAwait(false);
            await ApplyProxyChangeAsync(store, settings.ProxySetup, logger, cancellationToken).ConfigureAwait(false);
            if (store.WasFinished)
            {
                var now = settings.TimeProvider.GetUtcNow();
                var requeued = await store.BeginRerunAsync(now, now - settings.RecrawlAfter, cancellationToken).ConfigureAwait(false);
                Log.JobRerun(logger, directory);
                if (settings.RecrawlAfter is { } age)
                {
                    Log.Recrawl(logger, requeued, age);
                }

                return new JobSession(store, settings.SaveSpiderState, cookies, resuming: false)
                {
                    RerunStartedAt = now,
                    StartRequestsAgain = true,
                    _earlierFetches = await LoadFetchesAsync(store, cancellationToken).ConfigureAwait(false),
                };
            }

            var counts = await store.Frontier.GetCountsAsync(cancellationToken).ConfigureAwait(false);
            Log.JobResumed(logger, directory, counts.Pending, counts.Done, store.RecoveredLeases);
            var (rerunStartedAt, startsPending) = await store.ReadRerunAsync(cancellationToken).ConfigureAwait(false);
            return new JobSession(store, settings.SaveSpiderState, cookies, resuming: true)
            {
                RerunStartedAt = rerunStartedAt,
                StartRequestsAgain = startsPending,
                _earlierFetches = await LoadFetchesAsync(store, cancellationToken).ConfigureAwait(false),
            };
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

    /// <summary>
    /// Commits a batch together with the spider's state and cookies, in one transaction, recording that the crawl has
    /// <paramref name="inFlight"/> requests downloading or parsing (for <c>trawl status</c>).
    /// </summary>
    public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> batch, int inFlight, CancellationToken cancellationToken) =>
        _store.Frontier.CompleteAsync(batch, CaptureState(inFlight), cancellationToken);

    /// <summary>Records that the start requests are stored, once <see cref="StartRequestsAgain"/> had them stored again.</summary>
    public async ValueTask StartRequestsStoredAsync(CancellationToken cancellationToken)
    {
        if (StartRequestsAgain)
        {
            await _store.RerunStartsStoredAsync(cancellationToken).ConfigureAwait(false);
            StartRequestsAgain = false;
        }
    }

    /// <summary>Saves state once more (a run may end with nothing left to commit), and marks the job finished when it is.</summary>
    public async ValueTask CloseAsync(bool finished, CancellationToken cancellationToken)
    {
        await _store.SaveStateAsync(CaptureState(inFlight: 0), cancellationToken).ConfigureAwait(false);
        if (finished)
        {
            await _store.MarkFinishedAsync(cancellationToken).ConfigureAwait(false);

            // A finished job writes its outputs no more: the marks naming it as their writer go.
            foreach (var output in await _store.RunAsync(db => db.ExportOutputs(), cancellationToken).ConfigureAwait(false))
            {
                OutputOwner.Remove(output.Path, _store.Directory);
            }
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

    private static async ValueTask<JobFetchCounts> LoadFetchesAsync(JobStore store, CancellationToken cancellationToken) =>
        JobFetchCounts.Parse(await store.GetValueAsync(JobFetchCounts.Key, cancellationToken).ConfigureAwait(false));

    private JobStateUpdate CaptureState(int inFlight) =>
        new(_saveSpiderState(), _cookies is null ? null : CookieJar.Serialize(_cookies), inFlight, CaptureFetches());

    private string? CaptureFetches()
    {
        if (Fetches is null)
        {
            return null;
        }

        var (plain, rendered) = Fetches();
        return new JobFetchCounts(_earlierFetches.Plain + plain, _earlierFetches.Rendered + rendered).ToJson();
    }
}
