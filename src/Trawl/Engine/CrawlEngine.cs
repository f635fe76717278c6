using System.Collections.Concurrent;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Logging;
using Trawl.Politeness;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// One crawl run. A single dispatch loop leases requests from the frontier, spreads them over per-domain slots and
/// starts downloads up to the concurrency limit; each download is parsed by its callback and its outcome goes to a
/// single commit loop, which applies completions to the frontier in groups and hands committed items to the item feed.
/// </summary>
/// <remarks>
/// Between the frontier and the slots, each lease passes a gate: out of scope (<see cref="CrawlOptions.AllowedDomains"/>)
/// it is skipped as <c>offsite</c>; with robots.txt obeyed, it waits (parked per origin) for its origin's robots.txt and
/// is then skipped as <c>robots</c>, retried as <c>robots_unavailable</c>, or let through. Download tasks report back to
/// the dispatch loop through <c>_events</c> (started, finished with latency and status, paused by Retry-After), which it
/// applies to the per-domain state before each round. With a domain gate (<see cref="CrawlerBuilder.UseDomainGate"/>), a request the slots
/// let start is started only once the gate grants it (a refusal defers its domain), and its permit is given back when
/// its download is over.
/// </remarks>
internal sealed class CrawlEngine : IAsyncDisposable
{
    private const int MaxCommitBatch = 512;

    // The shortest a domain gate's refusal defers its domain, so a gate that answers "now" cannot spin the dispatcher.
    private static readonly TimeSpan MinGateWait = TimeSpan.FromMilliseconds(5);

    // After a stop at once, how long a permit's release may take before it is left to lapse.
    private static readonly TimeSpan AbortedReleaseTimeout = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions ItemJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Spider _spider;
    private readonly CrawlOptions _options;
    private readonly Crawler _crawler;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IFrontier _frontier;
    private readonly bool _ownsFrontier;
    private readonly bool _durable;
    private readonly IDownloader _downloader;
    private readonly ItemFeed _feed;
    private readonly StatsCollector _stats;
    private readonly DomainScheduler _scheduler;
    private readonly IDomainGate? _gate;
    private readonly CancellationTokenSource _pause;
    private readonly CancellationTokenSource _abort;
    private readonly StopSignals _signals;
    private readonly Channel<Completion> _commits = Channel.CreateBounded<Completion>(new BoundedChannelOptions(4 * MaxCommitBatch) { SingleReader = true });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Channel<bool> _commitNudge = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentQueue<DomainEvent> _events = new();
    private readonly ConcurrentQueue<RobotsDone> _robotsDone = new();
    private readonly Dictionary<string, List<Lease>> _parked = new(StringComparer.Ordinal);
    private readonly HashSet<string> _limitLogged = new(StringComparer.Ordinal);
    private readonly Queue<(string Origin, string Domain)> _robotsToFetch = new();
    private readonly CrawlScope? _scope;
    private readonly RobotsTxtCache? _robots;
    private readonly HashSet<Task> _running = [];
    private readonly ConcurrentDictionary<long, Lease>? _held;
    private readonly IPausableFrontier? _pausable;
    private readonly TimeSpan _heartbeat;
    private readonly bool _resuming;
    private readonly JobSession? _job;
    private bool _jobClosed;
    private bool _frontierPaused;
    private int _inFlight;
    private int _parkedCount;
    private int _robotsFetching;
    private long _dispatched;
    private long _itemsCommitted;
    private volatile string? _limitReached;
    private volatile Exception? _fatal;

    private CrawlEngine(Crawler crawler, CrawlSetup setup)
    {
        var (spider, options) = (crawler.Spider, crawler.Options);
        _spider = spider;
        _options = options;
        _crawler = crawler;
        _time = crawler.TimeProvider;
        _logger = setup.Logger;
        _frontier = setup.Frontier;
        _pausable = setup.Frontier as IPausableFrontier;
        _ownsFrontier = setup.OwnsFrontier;
        _durable = setup.Durable;
        _resuming = setup.Job?.Resuming ?? false;
        _job = setup.Job;
        _downloader = setup.Downloader;
        _feed = setup.Feed;
        _stats = new StatsCollector(_time, spider.Name, () => Volatile.Read(ref _inFlight));
        _scheduler = new DomainScheduler(options, new Random());
        _gate = crawler.DomainGate;
        _scope = setup.Scope;
        _robots = options.RobotsTxt.Obey ? new RobotsTxtCache(options.RobotsTxt, options.Downloader.UserAgent, _downloader, _time, _logger) : null;
        _pause = CancellationTokenSource.CreateLinkedTokenSource(setup.PauseToken);
        _abort = CancellationTokenSource.CreateLinkedTokenSource(crawler.AbortToken);
        _signals = new StopSignals(_pause, _abort, options.HandleSignals);
        _pause.Token.Register(() => _wake.Writer.TryWrite(true));
        _abort.Token.Register(() => _pause.Cancel());
        if (_frontier is IExpiringLeases { LeaseDuration: var duration } && duration > TimeSpan.Zero && duration != Timeout.InfiniteTimeSpan)
        {
            // Leases that expire are renewed while the engine holds them; keyed by token, unique per grant.
            _held = new ConcurrentDictionary<long, Lease>();
            _heartbeat = duration / 3;
        }
    }

    public static async Task<CrawlEngine> CreateAsync(Crawler crawler, CancellationToken pauseToken)
    {
        var (spider, options) = (crawler.Spider, crawler.Options);
        var logger = crawler.LoggerFactory?.CreateLogger("Trawl.Crawl." + spider.Name) ?? NullLogger.Instance;
        spider.Logger = logger;
        var cookies = options.Downloader.UseCookies ? new CookieContainer() : null;
        var job = options.JobDir is null ? null : await SpiderJob.OpenAsync(spider, options, crawler.TimeProvider, cookies, logger, crawler.AbortToken).ConfigureAwait(false);
        var frontier = job?.Frontier ?? crawler.Frontier ?? new MemoryFrontier(crawler.TimeProvider);
        var durable = frontier is IItemLog;
        ItemFeed feed;
        try
        {
            feed = await ItemFeed.StartAsync(
                new ItemFeedOptions
                {
                    Output = options.Output,
                    Overwrite = options.OverwriteOutput,
                    Owner = job?.Directory,
                    Pipelines = [.. crawler.Pipelines],
                    MaxResultItems = options.MaxResultItems,
                    BufferSize = options.ItemBufferSize,
                    ItemLog = frontier as IItemLog,
                    Logger = logger,
                },
                crawler.AbortToken).ConfigureAwait(false);
        }
        catch when (job is not null)
        {
            // An output that cannot be opened (another run writes it, say) leaves the job as it was, and its lock free.
            await job.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var scope = CrawlScope.From(options.AllowedDomains);
        var downloader = new HttpDownloader(options.Downloader, logger, cookies, crawler.TimeProvider) { RedirectFilter = scope is null ? null : scope.Allows };
        var setup = new CrawlSetup(logger, frontier, OwnsFrontier: job is null && crawler.Frontier is null, durable, job, downloader, feed, pauseToken, scope);
        return new CrawlEngine(crawler, setup);
    }

    public async Task<CrawlResult> RunAsync()
    {
        Log.CrawlStarted(_logger, _spider.Name, _durable ? "durable" : "in memory");
        await _spider.OnStartAsync(_resuming, _abort.Token).ConfigureAwait(false);
        try
        {
            await ScheduleStartRequestsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStorageError(ex))
        {
            StopForError(ex);
        }

        var commitLoop = CommitLoopAsync();
        using var progressStop = new CancellationTokenSource();
        var progressLoop = ProgressLoopAsync(progressStop.Token);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeatLoop = HeartbeatLoopAsync(heartbeatStop.Token);
        var exhausted = false;
        try
        {
            exhausted = await DispatchLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            // The heartbeat goes on until the last in-flight request is committed, so no lease lapses while stopping.
            await StopAsync(commitLoop).ConfigureAwait(false);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeatLoop.ConfigureAwait(false);
            await progressStop.CancelAsync().ConfigureAwait(false);
            await progressLoop.ConfigureAwait(false);
        }

        var paused = !exhausted && _limitReached is null;
        var reason = _fatal is not null ? _fatal.Message : _signals.Received ?? (_abort.IsCancellationRequested ? "aborted" : "cancelled");
        try
        {
            await _feed.CompleteAsync(finished: !paused, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ItemExportException ex)
        {
            // The output could not be written: the run pauses, and a durable job replays the unwritten items on resume.
            _fatal ??= ex;
            paused = true;
            reason = ex.Message;
        }

        await _spider.OnCloseAsync(CancellationToken.None).ConfigureAwait(false);
        var counts = await _frontier.GetCountsAsync(CancellationToken.None).ConfigureAwait(false);
        _stats.Frontier = counts;
        var jobDirectory = await CloseJobAsync(finished: exhausted && _fatal is null).ConfigureAwait(false);
        if (_fatal is not null)
        {
            paused = true;
            reason = _fatal.Message;
        }

        var stats = Snapshot();
        _crawler.Progress?.Report(new CrawlProgress
        {
            Stats = stats,
            Queued = counts.Pending,
            InFlight = 0,
            CurrentPagesPerSecond = stats.PagesPerSecond,
            Stopping = false,
        });
        if (paused)
        {
            Log.CrawlPaused(_logger, _spider.Name, reason, stats.Pages, stats.Items);
        }
        else
        {
            Log.CrawlFinished(_logger, _spider.Name, stats.Pages, stats.Items, stats.Failed, stats.Elapsed);
        }

        return new CrawlResult
        {
            Paused = paused,
            PauseReason = paused ? reason : null,
            LimitReached = _limitReached is not null,
            Stats = stats,
            Items = _feed.Items,
            JobDirectory = jobDirectory,
            Error = _fatal?.Message,
            Failure = _fatal,
        };
    }

    // Saves the job's state, marks it finished when it is, and removes a finished job's directory unless it is kept.
    // Returns the job directory when it is still there.
    private async Task<string?> CloseJobAsync(bool finished)
    {
        if (_job is null)
        {
            return null;
        }

        var directory = _job.Directory;
        if (_fatal is null)
        {
            try
            {
                await _job.CloseAsync(finished, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStorageError(ex))
            {
                StopForError(ex);
                finished = false;
            }
        }

        await _job.DisposeAsync().ConfigureAwait(false);
        _jobClosed = true;
        if (finished && !_options.KeepJob && await JobStore.DeleteAsync(directory).ConfigureAwait(false))
        {
            Log.JobRemoved(_logger, directory);
            return null;
        }

        return directory;
    }

    public async ValueTask DisposeAsync()
    {
        _stats.Dispose();
        _signals.Dispose();
        _downloader.Dispose();
        await _feed.DisposeAsync().ConfigureAwait(false);
        if (_ownsFrontier)
        {
            await _frontier.DisposeAsync().ConfigureAwait(false);
        }

        if (_job is not null && !_jobClosed)
        {
            await _job.DisposeAsync().ConfigureAwait(false);
        }

        _pause.Dispose();
        _abort.Dispose();
    }

    private async Task ScheduleStartRequestsAsync()
    {
        var batch = new List<Request>();
        foreach (var start in _spider.StartRequests())
        {
            // Resuming: start requests are already in the job, so only new start URLs are added (dedup applies).
            // Re-running a finished job: start pages are fetched again, and only links not seen before are followed.
            var request = _job is null ? start : _job.Resuming ? (start.DontFilter ? null : start) : _job.Rerun ? start.WithDontFilter() : start;
            if (request is null)
            {
                continue;
            }

            RequestJson.ValidateMeta(request);
            RequestMeta.Validate(request);
            batch.Add(request);
            if (batch.Count == 1000)
            {
                await _frontier.AddAsync(batch, _abort.Token).ConfigureAwait(false);
                batch = [];
            }
        }

        if (batch.Count > 0)
        {
            await _frontier.AddAsync(batch, _abort.Token).ConfigureAwait(false);
        }
    }

    // Returns true when the frontier was exhausted, false when the run stopped early.
    private async Task<bool> DispatchLoopAsync()
    {
        try
        {
            return await DispatchCoreAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once while the loop was recording a skip.
            return false;
        }
    }

    // How long a dispatch loop busy with requests in flight goes without asking a frontier that had too little for more.
    private static readonly TimeSpan FrontierLookAgain = TimeSpan.FromSeconds(1);

    private async Task<bool> DispatchCoreAsync()
    {
        var concurrency = _options.Concurrency;
        // A job store serializes leases behind group commits (tens of ms each, more on a slow disk), so lease a few
        // hundred milliseconds of work ahead and the dispatcher rarely waits on one (BENCHMARKS.md, "Where the time
        // goes", "Runtime settings": 2,048 rather than 512 took the durable crawl from 0.74-0.83 to 0.81-0.98 of the
        // in-memory one). Not for shared frontiers such as Redis, where leases held ahead are work other workers cannot take.
        var lookahead = Math.Max(concurrency * 4, _job is not null ? 2048 : 64);
        while (true)
        {
            await ReapAsync().ConfigureAwait(false);
            if (_pause.IsCancellationRequested || _fatal is not null)
            {
                return false;
            }

            var room = RoomUnderLimit();
            if (_limitReached is null && _options.Limit is { } limit && _dispatched >= limit)
            {
                _limitReached = "Page limit";
                Log.LimitReached(_logger, "Page limit");
            }

            if (_limitReached is not null)
            {
                return false;
            }

            var frontierPaused = await ObserveFrontierPauseAsync().ConfigureAwait(false);

            // Leases waiting for their robots.txt count only past a generous allowance, so one slow robots.txt does not
            // stop other hosts' requests from being leased.
            var buffered = _scheduler.Buffered + Math.Max(0, _parkedCount - (4 * lookahead));
            var leasedShort = false;
            if (!frontierPaused && buffered <= lookahead / 2)
            {
                var want = (int)Math.Min(lookahead - buffered, room);
                if (want > 0)
                {
                    IReadOnlyList<Lease> leases;
                    try
                    {
                        leases = await _frontier.TryLeaseAsync(want, _pause.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_pause.IsCancellationRequested)
                    {
                        return false;
                    }
                    catch (Exception ex) when (IsStorageError(ex))
                    {
                        StopForError(ex);
                        return false;
                    }

                    // Fewer than asked: the frontier may still hold requests that are not due yet (retries, delays).
                    leasedShort = leases.Count < want;
                    var leasedAt = _time.GetUtcNow();
                    foreach (var lease in leases)
                    {
                        _held?.TryAdd(lease.Token, lease);
                        await GateAsync(lease, leasedAt).ConfigureAwait(false);
                    }
                }
            }

            var wait = Timeout.InfiniteTimeSpan;
            var now = _time.GetUtcNow();
            while (!frontierPaused && _inFlight < concurrency)
            {
                var taken = _scheduler.TryPeek(now, out var next, out wait);
                if (taken == TakeKind.None)
                {
                    break;
                }

                if (taken == TakeKind.Start && _gate is not null && !await PassGateAsync(next).ConfigureAwait(false))
                {
                    // Refused: that domain is deferred and the next peek moves on to the others.
                    if (_pause.IsCancellationRequested)
                    {
                        break;
                    }

                    continue;
                }

                var delay = _scheduler.Take(now);
                if (taken == TakeKind.OverLimit)
                {
                    await SkipOverLimitAsync(next).ConfigureAwait(false);
                    continue;
                }

                Start(next, delay);
            }

            if (_inFlight == 0 && _scheduler.Buffered == 0 && _parkedCount == 0)
            {
                // Idle: let the commit loop commit at once, then wait for the frontier.
                _commitNudge.Writer.TryWrite(true);
                bool more;
                try
                {
                    more = await _frontier.WaitToLeaseAsync(_pause.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_pause.IsCancellationRequested)
                {
                    return false;
                }
                catch (Exception ex) when (IsStorageError(ex))
                {
                    StopForError(ex);
                    return false;
                }

                if (!more)
                {
                    return true;
                }

                continue;
            }

            if (_inFlight < concurrency && _scheduler.Buffered == 0)
            {
                // Starved while work is in flight: its discovered links are what we wait for.
                _commitNudge.Writer.TryWrite(true);
            }

            if (leasedShort && (wait == Timeout.InfiniteTimeSpan || wait > FrontierLookAgain))
            {
                // Busy with slow requests while the frontier holds a retry that falls due: completions alone would not
                // wake the loop in time for it, so look at the frontier again after a while.
                wait = FrontierLookAgain;
            }

            await WaitForWakeAsync(wait).ConfigureAwait(false);
        }
    }

    // A frontier paused from outside (a cluster-wide pause) gets back the leases not started yet, so their requests wait
    // there rather than in this worker; the requests in flight finish as usual, and the idle loop then waits in
    // WaitToLeaseAsync, which does not return while the frontier is paused.
    private async ValueTask<bool> ObserveFrontierPauseAsync()
    {
        var paused = _pausable?.IsPaused == true;
        if (paused != _frontierPaused)
        {
            _frontierPaused = paused;
            if (paused)
            {
                Log.FrontierPaused(_logger, _inFlight, _scheduler.Buffered + _parkedCount);
            }
            else
            {
                Log.FrontierResumed(_logger);
            }
        }

        if (paused)
        {
            await ReleaseUnstartedAsync().ConfigureAwait(false);
        }

        return paused;
    }

    private long RoomUnderLimit() =>
        _options.Limit is { } limit ? limit - _dispatched - _scheduler.Buffered - _parkedCount : long.MaxValue;

    private void Start(Lease lease, TimeSpan delay)
    {
        Interlocked.Increment(ref _inFlight);
        _dispatched++;
        _running.Add(ProcessAsync(lease, delay));
    }

    // The domain gate, asked after the domain's own limits let a request start. A refusal defers only that domain.
    private async ValueTask<bool> PassGateAsync(Lease lease)
    {
        var domain = DomainScheduler.DomainOf(lease.Request.Url);
        DomainPermit permit;
        try
        {
            // Not cut short by a pause: a permit granted to a try nobody waits for any more would never be released.
            permit = await _gate!.TryAcquireAsync(domain, _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
        {
            // The gate is unavailable (a Redis outage past its limit): stop with the error, as when the frontier fails.
            StopForError(ex);
            return false;
        }

        if (!permit.Acquired)
        {
            var wait = GateWait(permit);
            _scheduler.PauseUntil(domain, _time.GetUtcNow() + wait);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.DomainGateRefused(_logger, domain, wait);
            }

            return false;
        }

        if (_pause.IsCancellationRequested)
        {
            // Pausing while the gate answered: the request will not start, so its permit goes back at once.
            await ReleaseGateAsync(domain).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    private static TimeSpan GateWait(DomainPermit permit) => permit.RetryAfter > MinGateWait ? permit.RetryAfter : MinGateWait;

    // robots.txt fetches go around the domain slots, so they wait for the gate here, off the dispatch loop. Returns
    // false when the run is pausing or the gate failed.
    private async Task<bool> AcquireGateForRobotsAsync(string domain)
    {
        try
        {
            while (true)
            {
                var permit = await _gate!.TryAcquireAsync(domain, _abort.Token).ConfigureAwait(false);
                if (permit.Acquired)
                {
                    return true;
                }

                await Task.Delay(GateWait(permit), _time, _pause.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_pause.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            StopForError(ex);
            return false;
        }
    }

    // Gives a download's permit back, once: a download has several ways out, and each calls this.
    private ValueTask ReleaseGateAsync(Attempt attempt)
    {
        if (!attempt.HoldsGate)
        {
            return ValueTask.CompletedTask;
        }

        attempt.HoldsGate = false;
        return ReleaseGateAsync(attempt.Domain);
    }

    private async ValueTask ReleaseGateAsync(string domain)
    {
        // After a stop at once the permit is still given back if the gate answers promptly; otherwise it lapses.
        using var bounded = _abort.IsCancellationRequested ? new CancellationTokenSource(AbortedReleaseTimeout, _time) : null;
        try
        {
            await _gate!.ReleaseAsync(domain, bounded?.Token ?? _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once: the gate lets the permit lapse.
        }
        catch (Exception ex)
        {
            StopForError(ex);
        }
    }

    // Between the frontier and the domain slots: scope, then robots.txt.
    private async ValueTask GateAsync(Lease lease, DateTimeOffset now)
    {
        var url = lease.Request.Url;
        if (_scope is { } scope && !scope.Allows(url))
        {
            await SkipAsync(lease, "offsite", $"{url.IdnHost} is outside the allowed domains ({scope}).").ConfigureAwait(false);
            return;
        }

        if (_robots is { } robots)
        {
            var origin = RobotsTxtCache.OriginOf(url);
            if (!robots.TryGet(origin, now, out var entry))
            {
                Park(origin, lease);
                if (robots.BeginFetch(origin))
                {
                    _robotsToFetch.Enqueue((origin, DomainScheduler.DomainOf(url)));
                    StartRobotsFetches();
                }

                return;
            }

            if (entry.UnavailableUntil is { } until)
            {
                _stats.Error("robots_unavailable");
                await WriteFromDispatchAsync(RetryOrFail(lease, "robots_unavailable", $"robots.txt of {origin} is unavailable ({entry.Summary}).", null, until)).ConfigureAwait(false);
                return;
            }

            if (entry.Rules.Match(url) is { Allow: false } rule)
            {
                await SkipAsync(lease, "robots", $"Disallowed by robots.txt of {origin} ({rule}).").ConfigureAwait(false);
                return;
            }
        }

        _scheduler.Add(lease);
    }

    private void Park(string origin, Lease lease)
    {
        if (!_parked.TryGetValue(origin, out var waiting))
        {
            waiting = [];
            _parked.Add(origin, waiting);
        }

        waiting.Add(lease);
        _parkedCount++;
    }

    // robots.txt fetches count toward no slot, so a broad crawl meeting many new hosts at once could start hundreds;
    // they are held to the crawl's concurrency.
    private void StartRobotsFetches()
    {
        while (_robotsFetching < _options.Concurrency && _robotsToFetch.TryDequeue(out var next))
        {
            _robotsFetching++;
            _running.Add(FetchRobotsAsync(next.Origin, next.Domain));
        }
    }

    private async Task FetchRobotsAsync(string origin, string domain)
    {
        // Yield so the dispatch loop goes on with other hosts while this one's robots.txt is fetched.
        await Task.Yield();
        RobotsEntry? entry = null;
        var gated = false;
        try
        {
            gated = _gate is not null && await AcquireGateForRobotsAsync(domain).ConfigureAwait(false);
            if (_gate is null || gated)
            {
                _stats.RobotsFetch();
                entry = await _robots!.FetchAsync(origin, _abort.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once: the waiting leases are released with the rest.
        }
        finally
        {
            if (gated)
            {
                await ReleaseGateAsync(domain).ConfigureAwait(false);
            }

            // The domain's delay counts from when robots.txt arrived, not from when it was asked for: the server has
            // surely seen that request by then, and it happens once per origin, so the cautious choice costs nothing.
            _robotsDone.Enqueue(new RobotsDone(origin, domain, _time.GetUtcNow(), entry));
            _wake.Writer.TryWrite(true);
        }
    }

    // Applies what download tasks and robots.txt fetches reported since the last round.
    private async ValueTask ReapAsync()
    {
        var now = _time.GetUtcNow();
        while (_events.TryDequeue(out var e))
        {
            switch (e.Kind)
            {
                case DomainEventKind.Started:
                    _scheduler.Started(e.Domain, e.At, e.Span);
                    break;
                case DomainEventKind.Paused:
                    if (_scheduler.PauseUntil(e.Domain, e.At))
                    {
                        Log.RetryAfterPause(_logger, e.Domain, e.Status, e.Span);
                    }

                    break;
                case DomainEventKind.Finished:
                    if (e.Status > 0 && _scheduler.Observe(e.Domain, e.Span, e.Status) is { } change && _logger.IsEnabled(LogLevel.Debug))
                    {
                        Log.AutoThrottleDelay(_logger, e.Domain, change.Old, change.New, e.Span, e.Status);
                    }

                    _scheduler.Finished(e.Domain, now);
                    break;
            }
        }

        while (_robotsDone.TryDequeue(out var done))
        {
            _robotsFetching--;
            StartRobotsFetches();
            if (done.Entry is not { } entry)
            {
                _robots!.Abandon(done.Origin);
                continue;
            }

            _robots!.Store(done.Origin, entry);
            if (entry.CrawlDelay > TimeSpan.Zero)
            {
                _scheduler.SetCrawlDelay(done.Domain, entry.CrawlDelay);
                Log.RobotsCrawlDelay(_logger, done.Origin, entry.CrawlDelay);
            }

            // The robots.txt request takes its place in the domain's delay.
            _scheduler.StartedOutside(done.Domain, done.FinishedAt);
            if (_parked.Remove(done.Origin, out var waiting))
            {
                _parkedCount -= waiting.Count;
                foreach (var lease in waiting)
                {
                    await GateAsync(lease, now).ConfigureAwait(false);
                }
            }
        }

        if (_running.Count > 64)
        {
            _running.RemoveWhere(static task => task.IsCompleted);
        }
    }

    private ValueTask SkipOverLimitAsync(Lease lease)
    {
        var domain = DomainScheduler.DomainOf(lease.Request.Url);
        if (_limitLogged.Add(domain))
        {
            Log.DomainLimitReached(_logger, domain, _scheduler.MaxPagesOf(domain) ?? 0);
        }

        return SkipAsync(lease, "domain_limit", $"{domain} reached its limit of {_scheduler.MaxPagesOf(domain)} pages.");
    }

    private ValueTask SkipAsync(Lease lease, string kind, string reason)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.Skipped(_logger, UrlRedaction.UrlForLog(lease.Request.Url), kind, reason);
        }

        return WriteFromDispatchAsync(Completion.Skipped(lease, kind, reason));
    }

    // A completion decided by the dispatch loop itself (a skip, a retry) goes the same way as a download's.
    private async ValueTask WriteFromDispatchAsync(Completion completion)
    {
        try
        {
            await _commits.Writer.WriteAsync(completion, _abort.Token).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The commit loop stopped after a fatal error; the lease stays as it is, and the run is ending.
        }
    }

    private async Task WaitForWakeAsync(TimeSpan wait)
    {
        try
        {
            if (wait == Timeout.InfiniteTimeSpan)
            {
                await _wake.Reader.ReadAsync(_pause.Token).ConfigureAwait(false);
                return;
            }

            using var timeout = new CancellationTokenSource(wait, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _pause.Token);
            await _wake.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A delay passed, or a pause was requested: the loop looks again.
        }
    }

    private async Task ProcessAsync(Lease lease, TimeSpan delay)
    {
        // Yield so the dispatch loop goes on starting requests while this one runs.
        await Task.Yield();
        var attempt = new Attempt(DomainScheduler.DomainOf(lease.Request.Url), delay) { HoldsGate = _gate is not null };
        try
        {
            var completion = await FetchAndParseAsync(lease, attempt).ConfigureAwait(false);
            await _commits.Writer.WriteAsync(completion, _abort.Token).ConfigureAwait(false);
            if (_commits.Reader.Count >= MaxCommitBatch)
            {
                _commitNudge.Writer.TryWrite(true);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once: the lease is left as it is, and a durable job retries it on resume.
        }
        catch (ChannelClosedException)
        {
            // The commit loop has stopped after a fatal error; the lease stays in progress.
        }
        finally
        {
            await ReleaseGateAsync(attempt).ConfigureAwait(false);
            _events.Enqueue(new DomainEvent(DomainEventKind.Finished, attempt.Domain, default, attempt.Latency, attempt.Status));
            Interlocked.Decrement(ref _inFlight);
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task<Completion> FetchAndParseAsync(Lease lease, Attempt attempt)
    {
        var abort = _abort.Token;
        var request = lease.Request;
        foreach (var middleware in _crawler.Middleware)
        {
            var next = await middleware.ProcessRequestAsync(request, abort).ConfigureAwait(false);
            if (next is null)
            {
                _stats.Error("middleware_skipped");
                return Completion.Skipped(lease, "middleware", $"Skipped by {middleware.GetType().Name}.");
            }

            request = next;
        }

        _stats.Request();
        var startedAt = _time.GetTimestamp();
        _events.Enqueue(new DomainEvent(DomainEventKind.Started, attempt.Domain, _time.GetUtcNow(), attempt.Delay, 0));
        var result = await _downloader.DownloadAsync(request, abort).ConfigureAwait(false);
        abort.ThrowIfCancellationRequested();
        attempt.Latency = _time.GetElapsedTime(startedAt);
        _stats.Downloaded(attempt.Latency);
        attempt.Status = result.Response?.Status ?? 0;
        await ReleaseGateAsync(attempt).ConfigureAwait(false);
        var response = result.Response;
        if (response is null)
        {
            for (var i = _crawler.Middleware.Count - 1; i >= 0 && response is null; i--)
            {
                response = await _crawler.Middleware[i].ProcessErrorAsync(request, result, abort).ConfigureAwait(false);
            }
        }

        if (response is null)
        {
            _stats.Error(result.ErrorKind);
            return result.IsTransient && _options.Retry.RetryNetworkErrors
                ? RetryOrFail(lease, result.ErrorKind, result.Message ?? result.ErrorKind, null)
                : Fail(lease, result.ErrorKind, result.Message ?? result.ErrorKind, null);
        }

        for (var i = _crawler.Middleware.Count - 1; i >= 0; i--)
        {
            response = await _crawler.Middleware[i].ProcessResponseAsync(response, abort).ConfigureAwait(false);
        }

        _stats.Response(response.Status, response.Body.Length);
        if (response.Status is < 200 or >= 300)
        {
            var kind = "http_" + response.Status;
            _stats.Error(kind);
            var message = $"HTTP {response.Status}";
            var notBefore = HonourRetryAfter(attempt.Domain, response);
            return _options.Retry.HttpStatuses.Contains(response.Status)
                ? RetryOrFail(lease, kind, message, response.Status, notBefore)
                : Fail(lease, kind, message, response.Status);
        }

        return await ParseAsync(lease, response).ConfigureAwait(false);
    }

    private async Task<Completion> ParseAsync(Lease lease, Response response)
    {
        var request = lease.Request;
        var discovered = new List<Request>();
        var items = new List<byte[]>();
        Uri? offsite = null;
        var offsiteCount = 0;
        try
        {
            var callback = SpiderCallbacks.Resolve(_spider, request.Callback);
            await foreach (var output in callback(response, _abort.Token).ConfigureAwait(false))
            {
                switch (output)
                {
                    case null:
                        break;
                    case Request next:
                        next.DeepenTo(request.Depth + 1);
                        if (_options.MaxDepth is { } maxDepth && next.Depth > maxDepth)
                        {
                            _stats.Filtered("max_depth");
                            break;
                        }

                        if (_scope is { } scope && !scope.Allows(next.Url))
                        {
                            offsite ??= next.Url;
                            offsiteCount++;
                            break;
                        }

                        RequestJson.ValidateMeta(next);
                        RequestMeta.Validate(next);
                        if (_job?.Frontier.IsStored(next) == true)
                        {
                            // Already in the job: dropped now rather than held until the next group commit ignores it.
                            break;
                        }

                        discovered.Add(next);
                        break;
                    default:
                        items.Add(SerializeItem(output));
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // A failing callback fails its request, with the error, and the crawl goes on.
            var kind = ex is UnknownCallbackException ? "unknown_callback" : "callback";
            _stats.Error(kind);
            Log.CallbackFailed(_logger, ex, request.Callback ?? nameof(Spider.ParseAsync), UrlRedaction.UrlForLog(request.Url));
            _stats.Failed(kind);
            return Completion.Failed(lease, kind, $"{ex.GetType().Name}: {ex.Message}", response.Status);
        }

        if (offsiteCount > 0)
        {
            _stats.Filtered("offsite", offsiteCount);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.Offsite(_logger, offsiteCount, _scope!.ToString(), UrlRedaction.UrlForLog(offsite!));
            }
        }

        return Completion.Done(lease, response.Status, discovered, items);
    }

    // A 429 or 503 with Retry-After pauses its domain until then (capped); returns when its retry may come, if anywhere.
    private DateTimeOffset? HonourRetryAfter(string domain, Response response)
    {
        var max = _options.Retry.MaxRetryAfter;
        if (response.Status is not (429 or 503) || max <= TimeSpan.Zero)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        if (RetryAfter.Parse(response.Headers, now) is not { } asked)
        {
            return null;
        }

        var wait = asked;
        if (wait > max)
        {
            Log.RetryAfterCapped(_logger, domain, response.Status, asked, max);
            wait = max;
        }

        var until = now + wait;
        _events.Enqueue(new DomainEvent(DomainEventKind.Paused, domain, until, wait, response.Status));
        return until;
    }

    private static byte[] SerializeItem(object item)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(item, item.GetType(), ItemJson);
        if (json.Length == 0 || json[0] != (byte)'{')
        {
            throw new InvalidOperationException($"An item must serialize to a JSON object, but a {item.GetType().Name} did not.");
        }

        return json;
    }

    private Completion RetryOrFail(Lease lease, string kind, string message, int? status, DateTimeOffset? notBefore = null)
    {
        var retriesSoFar = lease.Attempt - 1;
        var dontRetry = RequestMeta.TryGetBool(lease.Request, RequestMeta.DontRetry) == true;
        if (retriesSoFar >= _options.Retry.MaxRetries || dontRetry)
        {
            return Fail(lease, kind, message, status);
        }

        var wait = _options.Retry.BackoffFor(retriesSoFar + 1);
        if (notBefore is { } floor && floor - _time.GetUtcNow() > wait)
        {
            wait = floor - _time.GetUtcNow();
        }

        Log.Retrying(_logger, UrlRedaction.UrlForLog(lease.Request.Url), lease.Attempt, kind, message, wait);
        _stats.Retry(kind);
        return Completion.Retry(lease, kind, message, _time.GetUtcNow() + wait, status);
    }

    private Completion Fail(Lease lease, string kind, string message, int? status)
    {
        Log.RequestFailed(_logger, UrlRedaction.UrlForLog(lease.Request.Url), lease.Attempt, kind, message);
        _stats.Failed(kind);
        return Completion.Failed(lease, kind, message, status);
    }

    private async Task CommitLoopAsync()
    {
        var interval = _durable ? _options.CheckpointInterval : TimeSpan.Zero;
        var batch = new List<Completion>(MaxCommitBatch);
        var reader = _commits.Reader;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                Fill(reader, batch);
                if (interval > TimeSpan.Zero)
                {
                    await GatherAsync(reader, batch, interval).ConfigureAwait(false);
                }

                await CommitAsync(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once: what was committed stays committed; the item log replays unexported items on resume.
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A commit that cannot be written (disk full, I/O error) pauses the crawl; the job stays resumable.
            _commits.Writer.TryComplete(ex);
            StopForError(ex);
        }
    }

    // A full disk or an unwritable output: the crawl cannot go on, but nothing is lost, so it pauses with the error.
    private static bool IsStorageError(Exception ex) => ex is JobStoreFullException or ItemExportException;

    private void StopForError(Exception ex)
    {
        if (_fatal is not null)
        {
            return;
        }

        _fatal = ex;
        // The message says it all for storage errors; anything else is a bug worth its stack trace.
        Log.Fatal(_logger, IsStorageError(ex) ? null : ex, ex.Message);
        _pause.Cancel();
    }

    private static void Fill(ChannelReader<Completion> reader, List<Completion> batch)
    {
        while (batch.Count < MaxCommitBatch && reader.TryRead(out var completion))
        {
            batch.Add(completion);
        }
    }

    // Group commit: gather completions for up to the checkpoint interval, but commit sooner when nudged: the batch
    // is full, the crawl is starved for the links these completions discovered, or the run is stopping.
    private async Task GatherAsync(ChannelReader<Completion> reader, List<Completion> batch, TimeSpan interval)
    {
        if (batch.Count >= MaxCommitBatch || reader.Completion.IsCompleted || _pause.IsCancellationRequested)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(interval, _time);
        try
        {
            await _commitNudge.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The interval is up.
        }

        Fill(reader, batch);
    }

    private async Task CommitAsync(List<Completion> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var result = _job is not null
            ? await _job.CompleteAsync(batch, CancellationToken.None).ConfigureAwait(false)
            : await _frontier.CompleteAsync(batch, CancellationToken.None).ConfigureAwait(false);
        if (_held is not null)
        {
            foreach (var completion in batch)
            {
                _held.TryRemove(completion.Lease.Token, out _);
            }
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (!result.Accepted[i])
            {
                continue;
            }

            switch (batch[i].Status)
            {
                case CompletionStatus.Done:
                    _stats.Page();
                    break;
                case CompletionStatus.Skipped:
                    _stats.Skipped(batch[i].ErrorKind);
                    break;
            }
        }

        var items = result.Items;
        if (_options.ItemLimit is { } itemLimit)
        {
            var room = itemLimit - _itemsCommitted;
            if (items.Count >= room)
            {
                items = [.. items.Take((int)Math.Max(room, 0))];
                if (_limitReached is null)
                {
                    _limitReached = "Item limit";
                    Log.LimitReached(_logger, "Item limit");
                    _wake.Writer.TryWrite(true);
                }
            }
        }

        _itemsCommitted += items.Count;
        _stats.AddItems(items.Count);
        if (items.Count > 0)
        {
            await _feed.WriteAsync(items, _abort.IsCancellationRequested ? CancellationToken.None : _abort.Token).ConfigureAwait(false);
        }

        _wake.Writer.TryWrite(true);
    }

    private async Task StopAsync(Task commitLoop)
    {
        if (_pause.IsCancellationRequested && _inFlight > 0 && !_abort.IsCancellationRequested)
        {
            Log.Pausing(_logger, _inFlight);
        }

        _robotsToFetch.Clear();
        await ReleaseUnstartedAsync().ConfigureAwait(false);
        await Task.WhenAll(_running).ConfigureAwait(false);
        _commits.Writer.TryComplete();
        _commitNudge.Writer.TryWrite(true);
        await commitLoop.ConfigureAwait(false);
    }

    // Hands the leases not started yet (buffered, or waiting for their robots.txt) back to the frontier.
    private async ValueTask ReleaseUnstartedAsync()
    {
        if (_scheduler.Buffered == 0 && _parkedCount == 0)
        {
            return;
        }

        var unstarted = _scheduler.Drain();
        foreach (var waiting in _parked.Values)
        {
            unstarted.AddRange(waiting);
        }

        _parked.Clear();
        _parkedCount = 0;
        try
        {
            await _frontier.ReleaseAsync(unstarted, CancellationToken.None).ConfigureAwait(false);
            if (_held is not null)
            {
                foreach (var lease in unstarted)
                {
                    _held.TryRemove(lease.Token, out _);
                }
            }
        }
        catch (Exception ex) when (IsStorageError(ex) || _fatal is not null)
        {
            // Unreleased leases are not lost: a durable frontier puts them back to pending when it is opened again.
            StopForError(ex);
        }
    }

    // Renews the leases this worker holds, every third of the lease duration, so slow downloads and group commits do
    // not let them expire and hand their requests to another worker. Only for frontiers whose leases expire.
    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        if (_held is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(_heartbeat, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var held = _held.Values.ToList();
                await _frontier.RenewAsync(held, cancellationToken).ConfigureAwait(false);
                if (_logger.IsEnabled(LogLevel.Debug))
                {
                    Log.LeasesRenewed(_logger, held.Count);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // The frontier gave up (an outage past its limit): without renewals, leases would lapse under the workers.
            StopForError(ex);
        }
    }

    private async Task ProgressLoopAsync(CancellationToken cancellationToken)
    {
        if (_crawler.Progress is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.ProgressInterval, _time);
        var lastPages = 0L;
        var lastTime = _time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var stats = Snapshot();
                var now = _time.GetTimestamp();
                var seconds = _time.GetElapsedTime(lastTime, now).TotalSeconds;
                var rate = seconds > 0 ? (stats.Pages - lastPages) / seconds : 0;
                lastPages = stats.Pages;
                lastTime = now;
                var counts = await _frontier.GetCountsAsync(cancellationToken).ConfigureAwait(false);
                _stats.Frontier = counts;
                _crawler.Progress.Report(new CrawlProgress
                {
                    Stats = stats,
                    Queued = counts.Pending,
                    InFlight = Volatile.Read(ref _inFlight),
                    CurrentPagesPerSecond = rate,
                    Stopping = _pause.IsCancellationRequested || _limitReached is not null,
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private CrawlStats Snapshot() => _stats.Snapshot(_feed.Exported, _feed.Dropped);

    private sealed record CrawlSetup(ILogger Logger, IFrontier Frontier, bool OwnsFrontier, bool Durable, JobSession? Job, IDownloader Downloader, ItemFeed Feed, CancellationToken PauseToken, CrawlScope? Scope);

    private enum DomainEventKind
    {
        Started,
        Finished,
        Paused,
    }

    /// <summary>
    /// What a download task tells the dispatch loop about its domain. Started: <c>At</c> the download began, <c>Span</c>
    /// the gap before the next. Finished: <c>Span</c> the latency, <c>Status</c> the response's (0 for none). Paused:
    /// <c>At</c> the end of a Retry-After pause, <c>Span</c> its length.
    /// </summary>
    private readonly record struct DomainEvent(DomainEventKind Kind, string Domain, DateTimeOffset At, TimeSpan Span, int Status);

    /// <summary>A robots.txt fetch that ended; <c>Entry</c> is null when the run stopped first.</summary>
    private sealed record RobotsDone(string Origin, string Domain, DateTimeOffset FinishedAt, RobotsEntry? Entry);

    /// <summary>What one download reports about itself, filled in as it goes.</summary>
    private sealed class Attempt(string domain, TimeSpan delay)
    {
        public string Domain { get; } = domain;

        public TimeSpan Delay { get; } = delay;

        public TimeSpan Latency { get; set; }

        public int Status { get; set; }

        /// <summary>Whether it holds a domain gate's permit, not yet given back.</summary>
        public bool HoldsGate { get; set; }
    }
}
