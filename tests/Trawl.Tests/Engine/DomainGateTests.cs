using System.Diagnostics;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Middleware;
using Trawl.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// The engine and its domain gate (<see cref="CrawlerBuilder.UseDomainGate"/>), with an in-memory gate against the sandbox site: a refusal
/// defers only its domain, and every permit acquired is given back, whichever way its request ends.
/// </summary>
public sealed class DomainGateTests
{
    private static CrawlOptions Options() => new() { HandleSignals = false };

    private static CrawlerBuilder Crawl(IReadOnlyList<string> urls, FakeDomainGate gate, CrawlOptions? options = null) =>
        new CrawlerBuilder(new ListSpider([.. urls]), options ?? Options()).UseDomainGate(gate);

    private static Uri OnLocalhost(Uri url) => new UriBuilder(url) { Host = "localhost" }.Uri;

    [Fact]
    public async Task Refusal_DefersOnlyThatDomain_ByTheGatesWait_WithoutAskingAgainMeanwhile()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        var held = new Uri(OnLocalhost(server.BaseUrl), "/pages/9").AbsoluteUri;
        var others = Enumerable.Range(0, 5).Select(i => new Uri(server.BaseUrl, $"/pages/{i}").AbsoluteUri);
        // The first refusal is long enough that the other domain's five tries, which come straight after it, are sure
        // to come before localhost is asked again, however slow a busy machine is.
        TimeSpan[] waits = [TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300)];
        var gate = new FakeDomainGate((domain, attempt) => domain == "localhost" && attempt <= waits.Length ? waits[attempt - 1] : null);

        var result = await Crawl([held, .. others], gate).Build().RunAsync();

        result.Stats.Pages.ShouldBe(6);
        var tries = gate.Tries.Where(t => t.Domain == "localhost").ToList();
        tries.Select(t => t.Acquired).ShouldBe([false, false, true], "asked again only once each wait is over");
        Ms(tries[1].Ticks - tries[0].Ticks).ShouldBeGreaterThanOrEqualTo(waits[0].TotalMilliseconds - 10);
        Ms(tries[2].Ticks - tries[1].Ticks).ShouldBeGreaterThanOrEqualTo(waits[1].TotalMilliseconds - 10);
        var othersGranted = gate.Tries.Where(t => t.Domain == "127.0.0.1" && t.Acquired).ToList();
        othersGranted.Count.ShouldBe(5);
        othersGranted.ShouldAllBe(t => t.Ticks < tries[1].Ticks, "the other domain is not held back by the refused one");
        gate.Released.ShouldBe(gate.Acquired);
    }

    [Fact]
    public async Task EveryPermit_IsReleased_AfterSuccess_HttpFailure_MiddlewareSkip_AndRobotsTxt()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        var gate = new FakeDomainGate();
        var options = Options();
        options.RobotsTxt.Obey = true;
        options.Retry.MaxRetries = 0;
        var urls = new[] { "/pages/0", "/pages/1", "/pages/2", "/trap/status/500", "/trap/status/404" }.Select(p => new Uri(server.BaseUrl, p).AbsoluteUri);

        var result = await Crawl([.. urls], gate, options).AddMiddleware(new SkipPath("/pages/2")).Build().RunAsync();

        result.Stats.Pages.ShouldBe(2);
        result.Stats.Failed.ShouldBe(2);
        result.Stats.SkippedByKind["middleware"].ShouldBe(1);
        server.FetchCount("/robots.txt").ShouldBe(1);
        gate.Acquired.ShouldBe(server.RequestLog().Count + 1, "every request the site saw, robots.txt included, and the skipped one passed the gate");
        gate.Released.ShouldBe(gate.Acquired);
        gate.MaxHeld.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Pause_ReleasesThePermitsOfInFlightRequests_AndOneGrantedWhilePausing_WithoutStartingIt()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var pause = new CancellationTokenSource();
        var gate = new FakeDomainGate(onTry: (_, count) =>
        {
            if (count == 4)
            {
                // The pause comes while the gate is answering: the permit it grants must go back unused.
                pause.Cancel();
            }
        });
        var urls = Enumerable.Range(0, 8).Select(i => new Uri(server.BaseUrl, $"/trap/slow?ms=300&i={i}").AbsoluteUri);

        var result = await Crawl([.. urls], gate).Build().RunAsync(pause.Token);

        result.Paused.ShouldBeTrue();
        gate.Acquired.ShouldBe(4);
        server.RequestLog().Count.ShouldBe(3, "the request granted while pausing never started");
        result.Stats.Pages.ShouldBe(3, "in-flight requests finish on a pause");
        gate.Released.ShouldBe(gate.Acquired);
    }

    [Fact]
    public async Task StopAtOnce_StillReleasesThePermitsOfAbandonedDownloads()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var abort = new CancellationTokenSource();
        var gate = new FakeDomainGate(onTry: (_, count) =>
        {
            if (count == 3)
            {
                abort.CancelAfter(TimeSpan.FromMilliseconds(300));
            }
        });
        var urls = Enumerable.Range(0, 3).Select(i => new Uri(server.BaseUrl, $"/trap/slow?ms=20000&i={i}").AbsoluteUri);

        var result = await Crawl([.. urls], gate).UseAbortToken(abort.Token).Build().RunAsync();

        result.Paused.ShouldBeTrue();
        result.Stats.Pages.ShouldBe(0);
        gate.Acquired.ShouldBe(3);
        gate.Released.ShouldBe(3);
    }

    [Fact]
    public async Task GateFailure_StopsTheCrawlWithItsError_AndReleasesWhatWasAcquired()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        var gate = new FakeDomainGate(onTry: (_, count) =>
        {
            if (count == 4)
            {
                throw new InvalidOperationException("the gate is down");
            }
        });
        var options = Options();
        options.ConcurrencyPerDomain = 3;
        var urls = Enumerable.Range(0, 8).Select(i => new Uri(server.BaseUrl, $"/trap/slow?ms=200&i={i}").AbsoluteUri);

        var result = await Crawl([.. urls], gate, options).Build().RunAsync();

        result.Paused.ShouldBeTrue();
        result.Error.ShouldBe("the gate is down");
        gate.Tries.Count.ShouldBe(3, "no request is offered to the gate after it failed");
        server.RequestLog().Count.ShouldBe(3);
        gate.Released.ShouldBe(3);
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private sealed class SkipPath(string path) : DownloaderMiddleware
    {
        public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken) =>
            new(request.Url.AbsolutePath == path ? null : request);
    }
}

/// <summary>
/// An in-memory <see cref="IDomainGate"/>: grants unless <c>refuse</c> returns a wait for a domain's n-th try, counts
/// permits held and given back, and records every try with its time. Like a real gate, it honours cancellation.
/// </summary>
public sealed class FakeDomainGate(Func<string, int, TimeSpan?>? refuse = null, Action<string, int>? onTry = null) : IDomainGate
{
    private readonly Lock _lock = new();
    private readonly List<(string Domain, long Ticks, bool Acquired)> _tries = [];
    private readonly Dictionary<string, int> _triesByDomain = new(StringComparer.Ordinal);
    private int _acquired;
    private int _released;
    private int _held;
    private int _maxHeld;

    public IReadOnlyList<(string Domain, long Ticks, bool Acquired)> Tries
    {
        get
        {
            lock (_lock)
            {
                return [.. _tries];
            }
        }
    }

    public int Acquired => Volatile.Read(ref _acquired);

    public int Released => Volatile.Read(ref _released);

    public int MaxHeld => Volatile.Read(ref _maxHeld);

    public ValueTask<DomainPermit> TryAcquireAsync(string domain, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int count, attempt;
        lock (_lock)
        {
            count = _tries.Count + 1;
            attempt = _triesByDomain[domain] = _triesByDomain.GetValueOrDefault(domain) + 1;
        }

        onTry?.Invoke(domain, count);
        var wait = refuse?.Invoke(domain, attempt);
        lock (_lock)
        {
            _tries.Add((domain, Stopwatch.GetTimestamp(), wait is null));
            if (wait is null)
            {
                _acquired++;
                _maxHeld = Math.Max(_maxHeld, ++_held);
            }
        }

        return new(wait is { } refused ? new DomainPermit(false, refused) : new DomainPermit(true, TimeSpan.Zero));
    }

    public ValueTask ReleaseAsync(string domain, CancellationToken cancellationToken)
    {
        // As a real gate would: a release asked with a cancelled token does not happen.
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _released++;
            _held--;
        }

        return ValueTask.CompletedTask;
    }
}
