using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Logging;
using Trawl.Politeness;
using Trawl.Rendering;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// One crawl run, told as the story of a request: the dispatch loop leases it from the frontier, admits it (scope,
/// then robots.txt), queues it in its domain's slot, and starts it when the slot, the crawl's concurrency and the domain
/// gate allow; its download task runs it through the downloader middleware, downloads it, retries or fails it, or parses
/// it with its callback; its completion goes to the commit loop, which commits completions in groups and hands the
/// committed items to the item feed.
/// </summary>
/// <remarks>
/// <para>The parts, each in its own file: <see cref="CrawlSetup"/> (what the run opens before it starts),
/// <see cref="RobotsTxtAdmission"/> (parks leases per origin until robots.txt is
/// known), <see cref="DomainScheduler"/> (per-domain slots and delays) fed by <see cref="DomainEvents"/>,
/// <see cref="DomainGatePermits"/> (the domain gate's permit protocol), <see cref="MiddlewareChain"/> and
/// <see cref="CallbackRunner"/> (the boundaries around user code), <see cref="RequestOutcomes"/> (retry, fail, skip),
/// <see cref="CommitLoop"/> (group commit), <see cref="LeaseHeartbeat"/> and <see cref="ProgressReporter"/>; they share
/// the run's stop states through <see cref="CrawlLifetime"/>.</para>
/// <para>Faults stay with their request or item: code that throws fails what it was handling, with its kind
/// (<see cref="FailureKinds"/>), and the crawl goes on. A download task never throws, so every lease it took is
/// completed, or, when the run stops at once, left for the frontier to recover.</para>
/// </remarks>
internal sealed class CrawlEngine : IAsyncDisposable
{
    // How long a dispatch loop busy with requests in flight goes without asking a frontier that had too little for more.
    private static readonly TimeSpan FrontierLookAgain = TimeSpan.FromSeconds(1);

    private readonly Spider _spider;
    private readonly CrawlOptions _options;
    private readonly Crawler _crawler;
    private readonly ILogger _logger;
    private readonly ILoggerFactory? _ownedLogging;
    private readonly TimeProvider _time;
    private readonly IFrontier _frontier;
    private readonly bool _ownsFrontier;
    private readonly bool _durable;
    private readonly JobSession? _job;
    private readonly IDownloader _downloader;
    private readonly PageFetcher _fetcher;
    private readonly ResponseByteBudget? _bytesInFlight;
    private readonly ItemFeed _feed;
    private readonly StatsCollector _stats;
    private readonly CrawlLifetime _lifetime;
    private readonly StopSignals _signals;
    private readonly CrawlScope? _scope;
    private readonly RobotsTxtAdmission? _robots;
    private readonly DomainScheduler _scheduler;
    private readonly DomainEvents _domainEvents;
    private readonly DomainGatePermits? _permits;
    private readonly MiddlewareChain _middleware;
    private readonly CallbackRunner _callbacks;
    private readonly RequestOutcomes _outcomes;
    private readonly SpiderHooks _hooks;
    private readonly CompletionCommitter _committer;
    private readonly CommitLoop _commits;
    private readonly LeaseHeartbeat? _heartbeat;
    private readonly ProgressReporter _progress;
    private readonly DomainFigures? _domainFigures;
    private readonly IPausableFrontier? _pausable;
    private readonly IReportsLeaseFailures? _leaseFailures;
    private readonly HashSet<Task> _running = [];
    private readonly Predicate<Task> _reapFinished;
    private readonly List<Lease> _readmit = [];
    private readonly List<(Lease Lease, RobotsVerdict Verdict)> _unreachable = [];
    private readonly HashSet<string> _limitLogged = new(StringComparer.Ordinal);
    private bool _jobClosed;
    private bool _frontierPaused;
    private int _inFlight;
    private long _dispatched;
    private volatile bool _pageLimitReached;

    private CrawlEngine(Crawler crawler, CrawlSetup setup)
    {
        var (spider, options) = (crawler.Spider, crawler.Options);
        _spider = spider;
        _options = options;
        _crawler = crawler;
        _time = crawler.TimeProvider;
        _logger = setup.Logger;
        _ownedLogging = setup.OwnedLogging;
        _frontier = setup.Frontier;
        _pausable = setup.Frontier as IPausableFrontier;
        _leaseFailures = setup.Frontier as IReportsLeaseFailures;
        _ownsFrontier = setup.OwnsFrontier;
        _durable = setup.Durable;
        _job = setup.Job;
        _downloader = setup.Downloader;
        _fetcher = setup.Fetcher;
        _bytesInFlight = options.MaxResponseBytesInFlight is { } budget ? new ResponseByteBudget(budget) : null;
        _feed = setup.Feed;
        _scope = setup.Scope;
        _stats = new StatsCollector(_time, spider.Name, () => Volatile.Read(ref _inFlight)) { Fetches = _fetcher };
        _lifetime = new CrawlLifetime(setup.PauseToken, crawler.AbortToken, _time, _logger);
        var (pause, abort) = _lifetime.Sources;
        _signals = new StopSignals(pause, abort, options.HandleSignals);
        _scheduler = new DomainScheduler(options, new Random());
        _domainEvents = new DomainEvents(_logger);
        _permits = crawler.DomainGate is { } gate ? new DomainGatePermits(gate, _lifetime, _time) : null;
        _robots = options.RobotsTxt.Obey
            ? new RobotsTxtAdmission(new RobotsTxtCache(options.RobotsTxt, options.Downloader.UserAgent, _downloader, _time, _logger), options.Concurrency, _permits, _stats, _lifetime, _time, _logger)
            : null;
        _middleware = new MiddlewareChain(crawler.Middleware);
        _outcomes = new RequestOutcomes(options.Retry, _stats, _domainEvents, _time, _logger);
        _callbacks = new CallbackRunner(spider, options.MaxDepth, _scope, _job?.Frontier, _frontier, options.MaxLinksPerPage, _outcomes, _stats, _time, options.MaxParseTime, _lifetime.ParseStopping, _job?.RerunStartedAt, _logger);
        _hooks = new SpiderHooks(spider, _stats, _lifetime, _logger);
        _heartbeat = LeaseHeartbeat.For(_frontier, _time, _logger, _lifetime.StopForError);
        _committer = new CompletionCommitter(_job, _frontier, _heartbeat, _stats, _feed, options.ItemLimit, _lifetime, _logger);
        Func<List<Completion>, ValueTask> commit = _committer.CommitAsync;
        _commits = new CommitLoop(batch => CrawlTracing.CommitAsync(commit, batch, _durable), _durable ? options.CheckpointInterval : TimeSpan.Zero, _time, _lifetime.Pausing, _lifetime.Aborting, _lifetime.StopForError);
        _domainFigures = crawler.Progress is null ? null : new DomainFigures(options.ProgressInterval);
        var timeLeft = new TimeLeftEstimate(options.Limit, ownFrontier: _job is not null || _ownsFrontier);
        _progress = new ProgressReporter(crawler.Progress, options.ProgressInterval, _time, _frontier, () => _scheduler.Buffered + Parked, _stats, Snapshot, () => _lifetime.IsPausing || LimitReached, _logger, _domainFigures, timeLeft);
        _reapFinished = ReapFinished;
    }

    /// <summary>Opens what the run needs (its logging, downloader, job or frontier, item feed) and builds the engine on them.</summary>
    public static async Task<CrawlEngine> CreateAsync(Crawler crawler, CancellationToken pauseToken) =>
        new(crawler, await CrawlSetup.OpenAsync(crawler, pauseToken).ConfigureAwait(false));

    public async Task<CrawlResult> RunAsync()
    {
        Log.CrawlStarted(_logger, _spider.Name, _durable ? "durable" : "in memory");
        await _hooks.OnStartAsync(_job?.Resuming ?? false).ConfigureAwait(false);
        try
        {
            await ScheduleStartRequestsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (CrawlLifetime.IsStorageError(ex))
        {
            _lifetime.StopForError(ex);
        }

        _heartbeat?.Start();
        _progress.Start();
        var exhausted = false;
        try
        {
            exhausted = await DispatchLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            // The heartbeat goes on until the last in-flight request is committed, so no lease lapses while stopping.
            await StopAsync().ConfigureAwait(false);
            if (_heartbeat is not null)
            {
                await _heartbeat.DisposeAsync().ConfigureAwait(false);
            }

            await _progress.DisposeAsync().ConfigureAwait(false);
        }

        return await FinishAsync(exhausted).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // A run that threw before it stopped (a start request that cannot be stored) leaves these to stop here.
        await _commits.DisposeAsync().ConfigureAwait(false);
        if (_heartbeat is not null)
        {
            await _heartbeat.DisposeAsync().ConfigureAwait(false);
        }

        await _progress.DisposeAsync().ConfigureAwait(false);
        _stats.Dispose();
        _signals.Dispose();
        _fetcher.Dispose();
        await _feed.DisposeAsync().ConfigureAwait(false);
        if (_ownsFrontier)
        {
            await _frontier.DisposeAsync().ConfigureAwait(false);
        }

        if (_job is not null && !_jobClosed)
        {
            await _job.DisposeAsync().ConfigureAwait(false);
        }

        _lifetime.Dispose();
        _ownedLogging?.Dispose();
    }

    // ---- Starting ------------------------------------------------------------------------------------------------------

    // Start requests go to the frontier in batches. One that cannot be stored (bad meta) is the spider's configuration
    // error and stops the run before it crawls.
    private async Task ScheduleStartRequestsAsync()
    {
        var batch = new List<Request>();
        foreach (var start in _hooks.StartRequests())
        {
            // Re-running a finished job (or resuming a re-run killed before its start requests were stored): start pages
            // are fetched again, and only links not seen before are followed. Resuming: start requests are already in
            // the job, so only new start URLs are added (dedup applies).
            var request = _job is null ? start : _job.StartRequestsAgain ? start.WithDontFilter() : _job.Resuming ? (start.DontFilter ? null : start) : start;
            if (request is null)
            {
                continue;
            }

            RequestJson.ValidateMeta(request);
            RequestMeta.Validate(request);
            batch.Add(request);
            if (batch.Count == 1000)
            {
                await _frontier.AddAsync(batch, _lifetime.Aborting).ConfigureAwait(false);
                batch = [];
            }
        }

        if (batch.Count > 0)
        {
            await _frontier.AddAsync(batch, _lifetime.Aborting).ConfigureAwait(false);
        }

        if (_job is not null)
        {
            // A kill between two batches of a re-run's start requests fetches the first batches' pages twice; a kill
            // before any is stored loses none of them.
            await _job.StartRequestsStoredAsync(_lifetime.Aborting).ConfigureAwait(false);
        }
    }

    // ---- The dispatch loop ---------------------------------------------------------------------------------------------

    // Returns true when the frontier was exhausted, false when the run stopped early.
    private async Task<bool> DispatchLoopAsync()
    {
        try
        {
            return await DispatchCoreAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsAborting)
        {
            // Stopped at once while the loop was recording a skip.
            return false;
        }
    }

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
            if (_lifetime.IsPausing || _lifetime.Fatal is not null)
            {
                return false;
            }

            var room = RoomUnderLimit();
            if (!LimitReached && _options.Limit is { } limit && _dispatched >= limit)
            {
                _pageLimitReached = true;
                Log.LimitReached(_logger, "Page limit");
            }

            if (LimitReached)
            {
                return false;
            }

            var frontierPaused = await ObserveFrontierPauseAsync().ConfigureAwait(false);

            // Leases waiting for their robots.txt count only past a generous allowance, so one slow robots.txt does not
            // stop other hosts' requests from being leased.
            var buffered = _scheduler.Buffered + Math.Max(0, Parked - (4 * lookahead));
            var leasedShort = false;
            if (!frontierPaused && buffered <= lookahead / 2)
            {
                var want = (int)Math.Min(lookahead - buffered, room);
                if (want > 0)
                {
                    IReadOnlyList<Lease> leases;
                    try
                    {
                        leases = await _frontier.TryLeaseAsync(want, _lifetime.Pausing).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (_lifetime.IsPausing)
                    {
                        return false;
                    }
                    catch (Exception ex) when (CrawlLifetime.IsStorageError(ex))
                    {
                        _lifetime.StopForError(ex);
                        return false;
                    }

                    CountLeaseFailures();

                    // Fewer than asked: the frontier may still hold requests that are not due yet (retries, delays).
                    leasedShort = leases.Count < want;
                    var leasedAt = _time.GetUtcNow();
                    foreach (var lease in leases)
                    {
                        _heartbeat?.Hold(lease);
                        await AdmitAsync(lease, leasedAt).ConfigureAwait(false);
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

                if (taken == TakeKind.Start && _permits is not null && !await TryAcquirePermitAsync(next).ConfigureAwait(false))
                {
                    // Refused: that domain is deferred and the next peek moves on to the others.
                    if (_lifetime.IsPausing)
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

            if (_inFlight == 0 && _scheduler.Buffered == 0 && Parked == 0)
            {
                // Idle: let the commit loop commit at once, then wait for the frontier.
                _commits.CommitSoon();
                _domainFigures?.Take(_scheduler, _time.GetUtcNow(), force: true);
                bool more;
                try
                {
                    more = await _frontier.WaitToLeaseAsync(_lifetime.Pausing).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_lifetime.IsPausing)
                {
                    return false;
                }
                catch (Exception ex) when (CrawlLifetime.IsStorageError(ex))
                {
                    _lifetime.StopForError(ex);
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
                _commits.CommitSoon();
            }

            if (leasedShort && (wait == Timeout.InfiniteTimeSpan || wait > FrontierLookAgain))
            {
                // Busy with slow requests while the frontier holds a retry that falls due: completions alone would not
                // wake the loop in time for it, so look at the frontier again after a while.
                wait = FrontierLookAgain;
            }

            if (_domainFigures is not null)
            {
                wait = _domainFigures.Cap(wait, _time.GetUtcNow());
            }

            await _lifetime.WaitForWakeAsync(wait).ConfigureAwait(false);
        }
    }

    private int Parked => _robots?.Parked ?? 0;

    // The page or the item limit: the run stops taking work, and counts as finished.
    private bool LimitReached => _pageLimitReached || _committer.ItemLimitReached;

    private long RoomUnderLimit() =>
        _options.Limit is { } limit ? limit - _dispatched - _scheduler.Buffered - Parked : long.MaxValue;

    // Applies what download tasks and robots.txt fetches reported since the last round.
    private async ValueTask ReapAsync()
    {
        var now = _time.GetUtcNow();
        _domainEvents.ApplyTo(_scheduler, now);
        _domainFigures?.Take(_scheduler, now);
        if (_robots is not null)
        {
            _robots.CollectFetched(_scheduler, _readmit, _unreachable);
            foreach (var lease in _readmit)
            {
                await AdmitAsync(lease, now).ConfigureAwait(false);
            }

            foreach (var (lease, verdict) in _unreachable)
            {
                // Nothing answered for robots.txt, so the request fails as its own download would: fast, and retried
                // like any network error, not held back as if the server had asked for a pause.
                _stats.Error(verdict.ErrorKind!);
                await WriteFromDispatchAsync(_options.Retry.RetryNetworkErrors
                    ? _outcomes.RetryOrFail(lease, verdict.ErrorKind!, verdict.Reason!, null)
                    : _outcomes.Fail(lease, verdict.ErrorKind!, verdict.Reason!, null)).ConfigureAwait(false);
            }

            _readmit.Clear();
            _unreachable.Clear();
        }

        if (_running.Count > 64)
        {
            _running.RemoveWhere(_reapFinished);
        }
    }

    // A download task never throws; one that did anyway is a bug, which stops the run rather than go unseen.
    private bool ReapFinished(Task task)
    {
        if (!task.IsCompleted)
        {
            return false;
        }

        if (task.Exception is { } fault)
        {
            _lifetime.StopForError(fault.GetBaseException());
        }

        return true;
    }

    // A frontier may fail stored requests on its own while leasing (one that can no longer be read): they are logged
    // and counted like any other failure, so the run's summary agrees with what the frontier holds.
    private void CountLeaseFailures()
    {
        if (_leaseFailures?.TakeLeaseFailures() is not { Count: > 0 } failures)
        {
            return;
        }

        foreach (var failure in failures)
        {
            _stats.Error(failure.Kind);
            _stats.Failed(failure.Kind);
            Log.StoredRequestFailed(_logger, failure.EntryId, failure.Kind, failure.Error);
        }
    }

    // Between the frontier and the domain slots: scope, then robots.txt. A lease that may not go on is completed here;
    // one waiting for its robots.txt is parked in the admission and comes back here once it is known.
    private async ValueTask AdmitAsync(Lease lease, DateTimeOffset now)
    {
        Completion? refused;
        try
        {
            refused = Admit(lease, now);
        }
        catch (Exception ex)
        {
            refused = _outcomes.Fault(lease, FailureKinds.InternalError, "Admitting the request", ex, null);
        }

        if (refused is not null)
        {
            await WriteFromDispatchAsync(refused).ConfigureAwait(false);
        }
    }

    private Completion? Admit(Lease lease, DateTimeOffset now)
    {
        var url = lease.Request.Url;
        if (_scope is { } scope && !scope.Allows(url))
        {
            return _outcomes.Skip(lease, "offsite", $"{url.IdnHost} is outside the allowed domains ({scope}).");
        }

        if (_robots is not null)
        {
            var verdict = _robots.Admit(lease, now);
            switch (verdict.Kind)
            {
                case RobotsVerdictKind.Waiting:
                    return null;
                case RobotsVerdictKind.Disallowed:
                    return _outcomes.Skip(lease, "robots", verdict.Reason!);
                case RobotsVerdictKind.Unavailable:
                    _stats.Error("robots_unavailable");
                    return _outcomes.RetryOrFail(lease, "robots_unavailable", verdict.Reason!, null, verdict.RetryAt);
            }
        }

        _scheduler.Add(lease);
        return null;
    }

    // Asked after the domain's own slot lets a request start. A refusal defers only that domain.
    private async ValueTask<bool> TryAcquirePermitAsync(Lease lease)
    {
        var domain = DomainScheduler.DomainOf(lease.Request.Url);
        var permit = await _permits!.TryAcquireAsync(domain).ConfigureAwait(false);
        if (!permit.Acquired && permit.RetryAfter > TimeSpan.Zero)
        {
            _scheduler.PauseUntil(domain, _time.GetUtcNow() + permit.RetryAfter);
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                Log.DomainGateRefused(_logger, domain, permit.RetryAfter);
            }
        }

        return permit.Acquired;
    }

    private ValueTask SkipOverLimitAsync(Lease lease)
    {
        var domain = DomainScheduler.DomainOf(lease.Request.Url);
        if (_limitLogged.Add(domain))
        {
            Log.DomainLimitReached(_logger, domain, _scheduler.MaxPagesOf(domain) ?? 0);
        }

        return WriteFromDispatchAsync(_outcomes.Skip(lease, "domain_limit", $"{domain} reached its limit of {Wording.Count(_scheduler.MaxPagesOf(domain) ?? 0, "page")}."));
    }

    // A completion decided by the dispatch loop itself (a skip, a retry) goes the same way as a download's. A failure
    // first calls its error callback, in a task of its own (spider code never runs on the dispatch loop).
    private async ValueTask WriteFromDispatchAsync(Completion completion)
    {
        if (completion.Status == CompletionStatus.Failed)
        {
            Interlocked.Increment(ref _inFlight);
            _running.Add(FailAsync(completion));
            return;
        }

        await WriteAsync(completion).ConfigureAwait(false);
    }

    // A failure decided by the dispatch loop, with what its error callback yields. Never throws, as a download task.
    private async Task FailAsync(Completion failed)
    {
        await Task.Yield();
        try
        {
            var completion = await _callbacks.RunErrbackAsync(failed, response: null, _lifetime.Aborting).ConfigureAwait(false);
            await WriteAsync(completion).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsAborting)
        {
            // Stopped at once: the lease is left as it is, and a durable job retries it on resume.
        }
        catch (ParseInterruptedException)
        {
            await ReleaseInterruptedAsync(failed.Lease).ConfigureAwait(false);
        }
        catch (SchedulingFailedException ex)
        {
            _lifetime.StopForError(ex.InnerException!);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _lifetime.Wake();
        }
    }

    private async ValueTask WriteAsync(Completion completion)
    {
        try
        {
            await _commits.WriteAsync(completion, _lifetime.Aborting).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The commit loop stopped after a fatal error; the lease stays as it is, and the run is ending.
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
                Log.FrontierPaused(_logger, _inFlight, _scheduler.Buffered + Parked);
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

    // ---- A request's download task -------------------------------------------------------------------------------------

    private void Start(Lease lease, TimeSpan delay)
    {
        Interlocked.Increment(ref _inFlight);
        _dispatched++;
        _running.Add(ProcessAsync(lease, delay));
    }

    // From its start to its completion handed to the commit loop. Never throws: whatever the code handling the request
    // does, its lease is completed (or, when the run stops at once, left for the frontier to recover).
    private async Task ProcessAsync(Lease lease, TimeSpan delay)
    {
        // Yield so the dispatch loop goes on starting requests while this one runs.
        await Task.Yield();
        var attempt = new Attempt(DomainScheduler.DomainOf(lease.Request.Url), delay) { HoldsPermit = _permits is not null, Bytes = _bytesInFlight?.Open() };
        using var span = CrawlTracing.StartRequest(_spider.Name, lease, attempt.Domain);
        try
        {
            Completion completion;
            try
            {
                completion = await FetchAndParseAsync(lease, attempt).ConfigureAwait(false);
                if (completion.Status == CompletionStatus.Failed)
                {
                    completion = await _callbacks.RunErrbackAsync(completion, attempt.Response, _lifetime.Aborting).ConfigureAwait(false);
                }
            }
            catch (ParseInterruptedException)
            {
                // Pausing stopped its parse: the request goes back to pending, this attempt not counted.
                await ReleaseInterruptedAsync(lease).ConfigureAwait(false);
                return;
            }
            catch (SchedulingFailedException ex)
            {
                // The frontier failed: the run stops, and the lease stays in progress for the frontier to recover.
                _lifetime.StopForError(ex.InnerException!);
                return;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && _lifetime.IsAborting))
            {
                completion = _outcomes.Fault(lease, FailureKinds.InternalError, "Handling the request", ex, attempt.Status > 0 ? attempt.Status : null);
            }

            CrawlTracing.RequestEnded(span, completion);
            attempt.Failed = completion.Status is CompletionStatus.Retry or CompletionStatus.Failed;

            await _commits.WriteAsync(completion, _lifetime.Aborting).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsAborting)
        {
            // Stopped at once: the lease is left as it is, and a durable job retries it on resume.
        }
        catch (ChannelClosedException)
        {
            // The commit loop has stopped after a fatal error; the lease stays in progress.
        }
        finally
        {
            // The response is done with: its body's bytes go back to the budget.
            attempt.Bytes?.Dispose();
            await ReleasePermitAsync(attempt).ConfigureAwait(false);
            _domainEvents.Finished(attempt.Domain, attempt.Latency, attempt.Status, attempt.Failed, neverStarted: attempt.Delay > TimeSpan.Zero && !attempt.Started);
            Interlocked.Decrement(ref _inFlight);
            _lifetime.Wake();
        }
    }

    private async Task<Completion> FetchAndParseAsync(Lease lease, Attempt attempt)
    {
        var abort = _lifetime.Aborting;
        // A page a kept job fetched before is asked for only if it changed since.
        var leased = lease.Validators is { } stored ? lease.Request.Conditional(stored) : lease.Request;
        var passed = await _middleware.ProcessRequestAsync(leased, abort).ConfigureAwait(false);
        if (passed.Fault is { } requestFault)
        {
            return MiddlewareFailed(lease, requestFault, null);
        }

        if (passed.Value is not { } request)
        {
            _stats.Error("middleware_skipped");
            return Completion.Skipped(lease, "middleware", $"Skipped by {passed.SkippedBy!.GetType().Name}.");
        }

        _stats.Request();
        var startedAt = _time.GetTimestamp();
        _domainEvents.Started(attempt.Domain, _time.GetUtcNow(), attempt.Delay);
        attempt.Started = true;
        if (attempt.Delay > TimeSpan.Zero)
        {
            // The domain waits for this start before taking its next request.
            _lifetime.Wake();
        }

        var result = await CrawlTracing.DownloadAsync(_fetcher, request, attempt.Bytes, attempt.Domain, abort).ConfigureAwait(false);
        abort.ThrowIfCancellationRequested();
        attempt.Latency = _time.GetElapsedTime(startedAt);
        _stats.Downloaded(attempt.Latency);
        attempt.Status = result.Response?.Status ?? 0;
        await ReleasePermitAsync(attempt).ConfigureAwait(false);
        var response = attempt.Response = result.Response;
        if (response is null)
        {
            var recovered = await _middleware.ProcessErrorAsync(request, result, abort).ConfigureAwait(false);
            if (recovered.Fault is { } errorFault)
            {
                return MiddlewareFailed(lease, errorFault, null);
            }

            response = attempt.Response = recovered.Value;
        }

        if (response is null)
        {
            _stats.Error(result.ErrorKind);
            return result.IsTransient && _options.Retry.RetryNetworkErrors
                ? _outcomes.RetryOrFail(lease, result.ErrorKind, result.Message ?? result.ErrorKind, null)
                : _outcomes.Fail(lease, result.ErrorKind, result.Message ?? result.ErrorKind, null);
        }

        var processed = await _middleware.ProcessResponseAsync(response, abort).ConfigureAwait(false);
        if (processed.Fault is { } responseFault)
        {
            _stats.Response(response.Status, response.Body.Length);
            return MiddlewareFailed(lease, responseFault, response.Status);
        }

        response = attempt.Response = processed.Value!;
        _stats.Response(response.Status, response.Body.Length);
        if (response.Status == 304 && lease.Validators is { } sent)
        {
            return Completion.Unchanged(lease, sent.RenewedBy(response.Headers));
        }

        if (response.Status is (< 200 or >= 300) && !AllowsStatus(request, response.Status))
        {
            var kind = "http_" + response.Status;
            _stats.Error(kind);
            var message = $"HTTP {response.Status}";
            var notBefore = _outcomes.HonourRetryAfter(attempt.Domain, response);
            return _options.Retry.HttpStatuses.Contains(response.Status)
                ? _outcomes.RetryOrFail(lease, kind, message, response.Status, notBefore)
                : _outcomes.Fail(lease, kind, message, response.Status);
        }

        return await CrawlTracing.ParseAsync(_callbacks, lease, response, abort).ConfigureAwait(false);
    }

    // A status the spider or the request lists reaches the callback as a response instead of failing.
    private bool AllowsStatus(Request request, int status) =>
        _spider.AllowedStatuses.Contains(status) || (RequestMeta.TryAllowsStatus(request, status, out var allowed) && allowed);

    private async ValueTask ReleaseInterruptedAsync(Lease lease)
    {
        try
        {
            await _frontier.ReleaseAsync([lease], CancellationToken.None).ConfigureAwait(false);
            _heartbeat?.Forget(lease);
        }
        catch (Exception ex)
        {
            // Not released, not lost: a durable frontier puts it back to pending when it is opened again.
            _lifetime.StopForError(ex);
        }
    }

    private Completion MiddlewareFailed(Lease lease, MiddlewareFault fault, int? status) =>
        _outcomes.Fault(lease, FailureKinds.MiddlewareError, fault.Where, fault.Exception, status);

    // Gives a download's permit back, once: a download has several ways out, and each calls this.
    private ValueTask ReleasePermitAsync(Attempt attempt)
    {
        if (!attempt.HoldsPermit)
        {
            return ValueTask.CompletedTask;
        }

        attempt.HoldsPermit = false;
        return _permits!.ReleaseAsync(attempt.Domain);
    }

    // ---- Stopping ------------------------------------------------------------------------------------------------------

    private async Task StopAsync()
    {
        if (_lifetime.IsPausing && _inFlight > 0 && !_lifetime.IsAborting)
        {
            if (_options.HandleSignals)
            {
                Log.Pausing(_logger, _inFlight);
            }
            else
            {
                Log.PausingWithoutSignals(_logger, _inFlight);
            }
        }

        var robotsFetches = _robots?.StopAsync() ?? Task.CompletedTask;
        await ReleaseUnstartedAsync().ConfigureAwait(false);
        await Task.WhenAll(_running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var task in _running)
        {
            ReapFinished(task);
        }

        await robotsFetches.ConfigureAwait(false);
        await _commits.DisposeAsync().ConfigureAwait(false);
    }

    // Hands the leases not started yet (buffered, or waiting for their robots.txt) back to the frontier.
    private async ValueTask ReleaseUnstartedAsync()
    {
        if (_scheduler.Buffered == 0 && Parked == 0)
        {
            return;
        }

        var unstarted = _scheduler.Drain();
        if (_robots is not null)
        {
            unstarted.AddRange(_robots.TakeParked());
        }

        try
        {
            await _frontier.ReleaseAsync(unstarted, CancellationToken.None).ConfigureAwait(false);
            if (_heartbeat is not null)
            {
                foreach (var lease in unstarted)
                {
                    _heartbeat.Forget(lease);
                }
            }
        }
        catch (Exception ex) when (CrawlLifetime.IsStorageError(ex) || _lifetime.Fatal is not null)
        {
            // Unreleased leases are not lost: a durable frontier puts them back to pending when it is opened again.
            _lifetime.StopForError(ex);
        }
    }

    private async Task<CrawlResult> FinishAsync(bool exhausted)
    {
        var paused = !exhausted && !LimitReached;
        var reason = _lifetime.Fatal is { } fatal ? fatal.Message : _signals.Received ?? (_lifetime.IsAborting ? "aborted" : "cancelled");
        try
        {
            await _feed.CompleteAsync(finished: !paused, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ItemExportException ex)
        {
            // The output could not be written: the run pauses, and a durable job replays the unwritten items on resume.
            _lifetime.StopForError(ex);
            paused = true;
            reason = ex.Message;
        }

        await _hooks.OnCloseAsync().ConfigureAwait(false);
        var counts = await _frontier.GetCountsAsync(CancellationToken.None).ConfigureAwait(false);
        var jobDirectory = await CloseJobAsync(finished: exhausted && _lifetime.Fatal is null).ConfigureAwait(false);
        if (_lifetime.Fatal is { } error)
        {
            paused = true;
            reason = error.Message;
        }

        var stats = Snapshot();
        _progress.ReportFinal(stats, counts);
        if (paused)
        {
            Log.CrawlPaused(_logger, _spider.Name, reason, stats.Pages, stats.Items);
        }
        else
        {
            Log.CrawlFinished(_logger, _spider.Name, stats.Pages, stats.Items, stats.ItemsFailed, stats.Failed, stats.Elapsed);
        }

        return new CrawlResult
        {
            Paused = paused,
            PauseReason = paused ? reason : null,
            LimitReached = LimitReached,
            Stats = stats,
            Items = _feed.Items,
            JobDirectory = jobDirectory,
            Error = _lifetime.Fatal?.Message,
            Failure = _lifetime.Fatal,
            EveryStartRequestFailed = !paused && stats.StartRequestsFailed > 0 && counts.Done == 0,
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
        if (_lifetime.Fatal is null)
        {
            try
            {
                await _job.CloseAsync(finished, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (CrawlLifetime.IsStorageError(ex))
            {
                _lifetime.StopForError(ex);
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

    private CrawlStats Snapshot() => _stats.Snapshot(_feed.Exported, _feed.Dropped, _feed.FailuresByKind);

    /// <summary>What one download reports about itself, filled in as it goes.</summary>
    private sealed class Attempt(string domain, TimeSpan delay)
    {
        public string Domain { get; } = domain;

        public TimeSpan Delay { get; } = delay;

        public TimeSpan Latency { get; set; }

        public int Status { get; set; }

        /// <summary>Whether it ended in an error (retried or failed), for its domain's figures.</summary>
        public bool Failed { get; set; }

        /// <summary>Whether its download began (and its domain was told).</summary>
        public bool Started { get; set; }

        /// <summary>Whether it holds a domain gate's permit, not yet given back.</summary>
        public bool HoldsPermit { get; set; }

        /// <summary>The response, once there is one: what an error callback is shown when the request fails.</summary>
        public Response? Response { get; set; }

        /// <summary>Its share of the budget of response bytes in flight, if the crawl has one.</summary>
        public ResponseByteBudget.Share? Bytes { get; init; }
    }
}
