using System.Collections.Concurrent;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Downloader;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Logging;
using Trawl.Spiders;

namespace Trawl.Engine;

/// <summary>
/// One crawl run. A single dispatch loop leases requests from the frontier, spreads them over per-domain slots and
/// starts downloads up to the concurrency limit; each download is parsed by its callback and its outcome goes to a
/// single commit loop, which applies completions to the frontier in groups and hands committed items to the item feed.
/// </summary>
internal sealed class CrawlEngine : IAsyncDisposable
{
    private const int MaxCommitBatch = 512;

    private static readonly JsonSerializerOptions ItemJson = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Spider _spider;
    private readonly CrawlOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IFrontier _frontier;
    private readonly bool _ownsFrontier;
    private readonly bool _durable;
    private readonly IDownloader _downloader;
    private readonly ItemFeed _feed;
    private readonly StatsCollector _stats;
    private readonly DomainScheduler _scheduler;
    private readonly CancellationTokenSource _pause;
    private readonly CancellationTokenSource _abort;
    private readonly StopSignals _signals;
    private readonly Channel<Completion> _commits = Channel.CreateBounded<Completion>(new BoundedChannelOptions(4 * MaxCommitBatch) { SingleReader = true });
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Channel<bool> _commitNudge = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly ConcurrentQueue<Uri> _finished = new();
    private readonly HashSet<Task> _running = [];
    private readonly bool _resuming;
    private readonly JobSession? _job;
    private bool _jobClosed;
    private int _inFlight;
    private long _dispatched;
    private long _itemsCommitted;
    private volatile string? _limitReached;
    private volatile Exception? _fatal;

    private CrawlEngine(Spider spider, CrawlOptions options, CrawlSetup setup)
    {
        _spider = spider;
        _options = options;
        _time = options.TimeProvider;
        _logger = setup.Logger;
        _frontier = setup.Frontier;
        _ownsFrontier = setup.OwnsFrontier;
        _durable = setup.Durable;
        _resuming = setup.Job?.Resuming ?? false;
        _job = setup.Job;
        _downloader = setup.Downloader;
        _feed = setup.Feed;
        _stats = new StatsCollector(_time);
        _scheduler = new DomainScheduler(options.ConcurrencyPerDomain, DelayFor, new Random());
        _pause = CancellationTokenSource.CreateLinkedTokenSource(setup.PauseToken);
        _abort = CancellationTokenSource.CreateLinkedTokenSource(options.AbortToken);
        _signals = new StopSignals(_pause, _abort, options.HandleSignals);
        _pause.Token.Register(() => _wake.Writer.TryWrite(true));
        _abort.Token.Register(() => _pause.Cancel());
    }

    public static async Task<CrawlEngine> CreateAsync(Spider spider, CrawlOptions options, CancellationToken pauseToken)
    {
        var logger = options.LoggerFactory?.CreateLogger("Trawl.Crawl." + spider.Name) ?? NullLogger.Instance;
        spider.Logger = logger;
        var cookies = options.Downloader.UseCookies ? new CookieContainer() : null;
        var job = options.JobDir is null ? null : await JobSession.OpenAsync(spider, options, cookies, logger, options.AbortToken).ConfigureAwait(false);
        var frontier = job?.Frontier ?? options.Frontier ?? new MemoryFrontier(options.TimeProvider);
        var durable = frontier is IItemLog;
        var feed = await ItemFeed.StartAsync(
            new ItemFeedOptions
            {
                Output = options.Output,
                Pipelines = [.. options.Pipelines],
                MaxResultItems = options.MaxResultItems,
                BufferSize = options.ItemBufferSize,
                ItemLog = frontier as IItemLog,
                Logger = logger,
            },
            options.AbortToken).ConfigureAwait(false);
        var downloader = new HttpDownloader(options.Downloader, logger, cookies, options.TimeProvider);
        var setup = new CrawlSetup(logger, frontier, OwnsFrontier: job is null && options.Frontier is null, durable, job, downloader, feed, pauseToken);
        return new CrawlEngine(spider, options, setup);
    }

    public async Task<CrawlResult> RunAsync()
    {
        Log.CrawlStarted(_logger, _spider.Name, _durable ? "durable" : "in memory");
        await _spider.OnStartAsync(_resuming, _abort.Token).ConfigureAwait(false);
        await ScheduleStartRequestsAsync().ConfigureAwait(false);

        var commitLoop = CommitLoopAsync();
        using var progressStop = new CancellationTokenSource();
        var progressLoop = ProgressLoopAsync(progressStop.Token);
        var exhausted = false;
        try
        {
            exhausted = await DispatchLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            await StopAsync(commitLoop).ConfigureAwait(false);
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
        var jobDirectory = await CloseJobAsync(finished: exhausted && _fatal is null).ConfigureAwait(false);
        var stats = Snapshot();
        _options.Progress?.Report(new CrawlProgress
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
            await _job.CloseAsync(finished, CancellationToken.None).ConfigureAwait(false);
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
        var concurrency = _options.Concurrency;
        var lookahead = Math.Max(concurrency * 4, 64);
        while (true)
        {
            ReapFinished();
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

            if (_scheduler.Buffered <= lookahead / 2)
            {
                var want = (int)Math.Min(lookahead - _scheduler.Buffered, room);
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

                    foreach (var lease in leases)
                    {
                        _scheduler.Add(lease);
                    }
                }
            }

            var wait = Timeout.InfiniteTimeSpan;
            var now = _time.GetUtcNow();
            while (_inFlight < concurrency && _scheduler.TryTake(now, out var next, out wait))
            {
                Start(next);
            }

            if (_inFlight == 0 && _scheduler.Buffered == 0)
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

            await WaitForWakeAsync(wait).ConfigureAwait(false);
        }
    }

    private long RoomUnderLimit() =>
        _options.Limit is { } limit ? limit - _dispatched - _scheduler.Buffered : long.MaxValue;

    private void Start(Lease lease)
    {
        Interlocked.Increment(ref _inFlight);
        _dispatched++;
        _running.Add(ProcessAsync(lease));
    }

    private void ReapFinished()
    {
        while (_finished.TryDequeue(out var url))
        {
            _scheduler.Finished(url);
        }

        if (_running.Count > 64)
        {
            _running.RemoveWhere(static task => task.IsCompleted);
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

    private TimeSpan DelayFor(string domain)
    {
        var delay = _options.DownloadDelay;
        if (delay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        return _options.RandomizeDownloadDelay ? _scheduler.Randomize(delay) : delay;
    }

    private async Task ProcessAsync(Lease lease)
    {
        // Yield so the dispatch loop goes on starting requests while this one runs.
        await Task.Yield();
        try
        {
            var completion = await FetchAndParseAsync(lease).ConfigureAwait(false);
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
            _finished.Enqueue(lease.Request.Url);
            Interlocked.Decrement(ref _inFlight);
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task<Completion> FetchAndParseAsync(Lease lease)
    {
        var abort = _abort.Token;
        var request = lease.Request;
        foreach (var middleware in _options.Middleware)
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
        var result = await _downloader.DownloadAsync(request, abort).ConfigureAwait(false);
        abort.ThrowIfCancellationRequested();
        var response = result.Response;
        if (response is null)
        {
            for (var i = _options.Middleware.Count - 1; i >= 0 && response is null; i--)
            {
                response = await _options.Middleware[i].ProcessErrorAsync(request, result, abort).ConfigureAwait(false);
            }
        }

        if (response is null)
        {
            _stats.Error(result.ErrorKind);
            return result.IsTransient && _options.Retry.RetryNetworkErrors
                ? RetryOrFail(lease, result.ErrorKind, result.Message ?? result.ErrorKind, null)
                : Fail(lease, result.ErrorKind, result.Message ?? result.ErrorKind, null);
        }

        for (var i = _options.Middleware.Count - 1; i >= 0; i--)
        {
            response = await _options.Middleware[i].ProcessResponseAsync(response, abort).ConfigureAwait(false);
        }

        _stats.Response(response.Status);
        if (response.Status is < 200 or >= 300)
        {
            var kind = "http_" + response.Status;
            _stats.Error(kind);
            var message = $"HTTP {response.Status}";
            return _options.Retry.HttpStatuses.Contains(response.Status)
                ? RetryOrFail(lease, kind, message, response.Status)
                : Fail(lease, kind, message, response.Status);
        }

        return await ParseAsync(lease, response).ConfigureAwait(false);
    }

    private async Task<Completion> ParseAsync(Lease lease, Response response)
    {
        var request = lease.Request;
        var discovered = new List<Request>();
        var items = new List<byte[]>();
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
                            break;
                        }

                        RequestJson.ValidateMeta(next);
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
            _stats.Failed();
            return Completion.Failed(lease, kind, $"{ex.GetType().Name}: {ex.Message}", response.Status);
        }

        return Completion.Done(lease, response.Status, discovered, items);
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

    private Completion RetryOrFail(Lease lease, string kind, string message, int? status)
    {
        var retriesSoFar = lease.Attempt - 1;
        var dontRetry = lease.Request.Meta.ContainsKey("dont_retry") && lease.Request.GetMeta<bool>("dont_retry");
        if (retriesSoFar >= _options.Retry.MaxRetries || dontRetry)
        {
            return Fail(lease, kind, message, status);
        }

        var wait = _options.Retry.BackoffFor(retriesSoFar + 1);
        Log.Retrying(_logger, UrlRedaction.UrlForLog(lease.Request.Url), lease.Attempt, kind, message, wait);
        _stats.Retry();
        return Completion.Retry(lease, kind, message, _time.GetUtcNow() + wait, status);
    }

    private Completion Fail(Lease lease, string kind, string message, int? status)
    {
        Log.RequestFailed(_logger, UrlRedaction.UrlForLog(lease.Request.Url), lease.Attempt, kind, message);
        _stats.Failed();
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
            _fatal = ex;
            Log.Fatal(_logger, ex, ex.Message);
            _commits.Writer.TryComplete(ex);
            await _pause.CancelAsync().ConfigureAwait(false);
        }
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
                    _stats.Skipped();
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

        var unstarted = _scheduler.Drain();
        if (unstarted.Count > 0)
        {
            await _frontier.ReleaseAsync(unstarted, CancellationToken.None).ConfigureAwait(false);
        }

        await Task.WhenAll(_running).ConfigureAwait(false);
        _commits.Writer.TryComplete();
        _commitNudge.Writer.TryWrite(true);
        await commitLoop.ConfigureAwait(false);
    }

    private async Task ProgressLoopAsync(CancellationToken cancellationToken)
    {
        if (_options.Progress is null)
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
                _options.Progress.Report(new CrawlProgress
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

    private sealed record CrawlSetup(ILogger Logger, IFrontier Frontier, bool OwnsFrontier, bool Durable, JobSession? Job, IDownloader Downloader, ItemFeed Feed, CancellationToken PauseToken);
}
