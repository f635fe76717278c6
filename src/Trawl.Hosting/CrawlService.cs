using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Items;
using Trawl.Jobs;

namespace Trawl.Hosting;

/// <summary>
/// One registered crawl as a hosted service. It builds the crawler when the host has started (the spider and what the
/// crawl runs with, from the service provider), runs it until it finishes or the host stops, and pauses it when the host
/// stops: the host's stopping token is the crawl's pause token, and a pause that takes longer than its
/// <see cref="CrawlHostingOptions.PauseTimeout"/> (or outlasts the host's shutdown timeout) becomes a stop at once.
/// </summary>
internal sealed class CrawlService : BackgroundService
{
    private readonly CrawlRegistration _registration;
    private readonly IServiceProvider _services;
    private readonly IOptionsMonitor<CrawlOptions> _options;
    private readonly CrawlHostingOptions _hosting;
    private readonly TimeSpan _shutdownTimeout;
    private readonly CrawlCompletions _completions;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _abort;
    private volatile string _crawl;

    public CrawlService(
        CrawlRegistration registration,
        IServiceProvider services,
        IOptionsMonitor<CrawlOptions> options,
        IOptionsMonitor<CrawlHostingOptions> hosting,
        IOptions<HostOptions> hostOptions,
        CrawlCompletions completions,
        ILoggerFactory loggerFactory)
    {
        _registration = registration;
        _services = services;
        _options = options;
        _hosting = hosting.Get(registration.Name);
        _shutdownTimeout = hostOptions.Value.ShutdownTimeout;
        _completions = completions;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Trawl.Hosting");
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _time);
        _crawl = registration.SpiderType.Name;
        if (_hosting.WhenFinished == WhenCrawlFinished.StopApplication)
        {
            // Every service is made before any starts, so no crawl can finish before all are counted.
            completions.Await();
        }
    }

    /// <summary>
    /// Pauses the crawl (base: cancels the stopping token) and waits for it; past the pause timeout, or when the host's
    /// own shutdown timeout ends first, stops it at once.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ExecuteTask is { IsCompleted: false })
        {
            var timeout = _hosting.PauseTimeoutUnder(_shutdownTimeout);
            Log.Pausing(_logger, _crawl, timeout == Timeout.InfiniteTimeSpan ? "no limit" : Seconds(timeout));
            _abort.Token.Register(() => Log.StoppingAtOnce(_logger, _crawl));
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                _abort.CancelAfter(timeout);
            }
        }

        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (ExecuteTask is { IsCompleted: false })
        {
            // The host gave up waiting (its shutdown timeout): what still runs stops at once, while the host goes on.
            await _abort.CancelAsync().ConfigureAwait(false);
        }
        else if (!_abort.IsCancellationRequested)
        {
            // Paused in time: the pause timeout has nothing left to stop.
            _abort.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _abort.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var section = _registration.Name;
        Crawler crawler;
        try
        {
            var builder = new CrawlerBuilder(_registration.SpiderFactory(_services), _options.Get(section))
                .UseLoggerFactory(_loggerFactory)
                .UseTimeProvider(_time)
                .UseAbortToken(_abort.Token);
            foreach (var setup in _registration.CrawlerSetup)
            {
                setup(_services, builder);
            }

            crawler = builder.Build();
        }
        catch (Exception ex) when (ex is ArgumentException or OptionsValidationException)
        {
            // The spider's ConfigureOptions made a setting invalid, or a setting was never validated at start.
            var problem = ex is ArgumentException argument ? CrawlConfiguration.Describe(argument, section) : ex.Message;
            Fail(ProcessExitCode.Usage, () => Log.CannotStart(_logger, _crawl, problem));
            return;
        }
        catch (Exception ex)
        {
            Fail(ProcessExitCode.Error, () => Log.Crashed(_logger, ex, _crawl));
            return;
        }

        _crawl = crawler.Spider.Name;
        var name = _crawl;
        if (crawler.Options.JobDir is { } jobDir)
        {
            Log.Starting(_logger, name, section, Path.GetFullPath(jobDir));
        }
        else
        {
            Log.StartingInMemory(_logger, name, section);
        }

        CrawlResult result;
        try
        {
            result = await crawler.RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JobDirectoryException or ItemExportException)
        {
            // An unusable job directory (corrupt, held by another process, on a full disk) or output: nothing was crawled.
            Fail(ProcessExitCode.Usage, () => Log.CannotStart(_logger, name, ex.Message));
            return;
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once while it was still opening its job: nothing ran, nothing to resume but the job as it was.
            return;
        }
        catch (Exception ex)
        {
            Fail(ProcessExitCode.Error, () => Log.Crashed(_logger, ex, name));
            return;
        }

        if (result.Error is { } error)
        {
            var resume = result.JobDirectory is { } kept ? $" The job in {kept} keeps every item and resumes on the next start." : string.Empty;
            Fail(ProcessExitCode.Error, () => Log.Failed(_logger, name, error, resume));
            return;
        }

        if (result.Paused && stoppingToken.IsCancellationRequested)
        {
            if (result.JobDirectory is { } kept)
            {
                Log.Paused(_logger, name, kept);
            }
            else
            {
                Log.PausedInMemory(_logger, name);
            }

            return;
        }

        if (_hosting.WhenFinished == WhenCrawlFinished.StopApplication)
        {
            Log.Finished(_logger, name, "stopping the application");
            _completions.Finished();
        }
        else
        {
            Log.Finished(_logger, name, "the application keeps running");
        }
    }

    private static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.#} s");

    private void Fail(int exitCode, Action log)
    {
        log();
        _completions.Failed(exitCode);
    }
}
