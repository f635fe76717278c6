using Microsoft.Extensions.Logging;
using Trawl.Crawling;
using Trawl.Downloader;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Politeness;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class RobotsTxtAdmissionTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly CapturingLoggerProvider _log = new();
    private readonly ILoggerFactory _loggers;
    private readonly StatsCollector _stats = EngineParts.Stats();
    private readonly DomainScheduler _scheduler = new(new CrawlOptions(), new Random(1));

    public RobotsTxtAdmissionTests() => _loggers = _log.CreateFactory();

    public void Dispose()
    {
        _stats.Dispose();
        _loggers.Dispose();
    }

    [Fact]
    public async Task LeasesOfAnOriginNotKnownYet_AreParked_ItsRobotsTxtIsFetchedOnce_AndTheyComeBackWhenItArrives()
    {
        var downloader = new ScriptedDownloader((request, _) => new(ScriptedDownloader.Text(request, 200, "User-agent: *\nDisallow: /private\n")));
        using var lifetime = EngineParts.Lifetime();
        var admission = Admission(downloader, lifetime);
        Lease[] leases = [EngineParts.Lease("http://example.com/a"), EngineParts.Lease("http://example.com/b"), EngineParts.Lease("http://example.com/private/c")];

        foreach (var lease in leases)
        {
            admission.Admit(lease, DateTimeOffset.UtcNow).Kind.ShouldBe(RobotsVerdictKind.Waiting);
        }

        admission.Parked.ShouldBe(3);
        var released = await CollectAsync(admission, 3);

        released.ShouldBe(leases, ignoreOrder: true);
        admission.Parked.ShouldBe(0);
        downloader.Asked.ShouldBe(["http://example.com/robots.txt"]);
        leases.Select(lease => admission.Admit(lease, DateTimeOffset.UtcNow).Kind)
            .ShouldBe([RobotsVerdictKind.Allowed, RobotsVerdictKind.Allowed, RobotsVerdictKind.Disallowed]);
    }

    [Fact]
    public async Task AFetchThatThrows_ReleasesWhatItParked_AsUnavailable_AndIsLogged()
    {
        var downloader = new ScriptedDownloader((_, _) => throw new InvalidOperationException("the downloader broke"));
        using var lifetime = EngineParts.Lifetime();
        var admission = Admission(downloader, lifetime, unavailableFor: TimeSpan.FromMinutes(5));
        Lease[] leases = [EngineParts.Lease("http://example.com/a"), EngineParts.Lease("http://example.com/b")];
        foreach (var lease in leases)
        {
            admission.Admit(lease, DateTimeOffset.UtcNow);
        }

        var released = await CollectAsync(admission, 2);

        released.ShouldBe(leases, ignoreOrder: true);
        var verdict = admission.Admit(leases[0], DateTimeOffset.UtcNow);
        verdict.Kind.ShouldBe(RobotsVerdictKind.Unavailable);
        verdict.Reason.ShouldNotBeNull().ShouldContain("the downloader broke");
        verdict.RetryAt.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(4));
        _log.Text.ShouldContain("robots.txt of http://example.com:80 could not be fetched");
        lifetime.Fatal.ShouldBeNull();
    }

    [Theory]
    [InlineData(DownloadError.Refused, "refused")]
    [InlineData(DownloadError.Dns, "dns")]
    public async Task ARobotsTxtNobodyAnswers_FailsWhatItParked_AsTheirDownloadsWould_AndIsAskedForAgainNextTime(DownloadError error, string kind)
    {
        var downloader = new ScriptedDownloader((_, _) => new(DownloadResult.Failure(error, "nothing there")));
        using var lifetime = EngineParts.Lifetime();
        var admission = Admission(downloader, lifetime, unavailableFor: TimeSpan.FromMinutes(5));
        Lease[] leases = [EngineParts.Lease("http://example.com/a"), EngineParts.Lease("http://example.com/b")];
        foreach (var lease in leases)
        {
            admission.Admit(lease, DateTimeOffset.UtcNow);
        }

        var released = new List<Lease>();
        var unreachable = new List<(Lease Lease, RobotsVerdict Verdict)>();
        await Waiting.UntilAsync(
            () =>
            {
                admission.CollectFetched(_scheduler, released, unreachable);
                return unreachable.Count == 2;
            },
            Generous,
            "the robots.txt fetch to end");

        released.ShouldBeEmpty();
        admission.Parked.ShouldBe(0);
        unreachable.Select(pair => pair.Lease).ShouldBe(leases, ignoreOrder: true);
        unreachable.ShouldAllBe(pair => pair.Verdict.Kind == RobotsVerdictKind.Unreachable && pair.Verdict.ErrorKind == kind);
        unreachable[0].Verdict.Reason.ShouldNotBeNull().ShouldContain("nothing there");

        // Not "disallowed for now": nothing is kept, so the next request there asks for robots.txt again.
        admission.Admit(leases[0], DateTimeOffset.UtcNow).Kind.ShouldBe(RobotsVerdictKind.Waiting);
        await Waiting.UntilAsync(() => downloader.Asked.Count == 2, Generous, "robots.txt to be asked for again");
    }

    [Fact]
    public async Task AnIpv6Origin_KeepsItsBrackets_SoItsRobotsTxtCanBeAskedFor()
    {
        var downloader = new ScriptedDownloader((request, _) => new(ScriptedDownloader.Text(request, 404, "")));
        using var lifetime = EngineParts.Lifetime();
        var admission = Admission(downloader, lifetime);
        var lease = EngineParts.Lease("http://[::1]:8080/page");

        RobotsTxtCache.OriginOf(lease.Request.Url).ShouldBe("http://[::1]:8080");
        admission.Admit(lease, DateTimeOffset.UtcNow);
        (await CollectAsync(admission, 1)).ShouldBe([lease]);

        downloader.Asked.ShouldBe(["http://[::1]:8080/robots.txt"]);
        admission.Admit(lease, DateTimeOffset.UtcNow).Kind.ShouldBe(RobotsVerdictKind.Allowed);
    }

    [Fact]
    public async Task Fetches_AreHeldToTheirLimit_AndTheNextStartsWhenOneEnds()
    {
        var inFlight = 0;
        var most = 0;
        var answers = new Queue<TaskCompletionSource>();
        var downloader = new ScriptedDownloader(async (request, _) =>
        {
            var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (answers)
            {
                answers.Enqueue(answer);
                most = Math.Max(most, ++inFlight);
            }

            await answer.Task;
            lock (answers)
            {
                inFlight--;
            }

            return ScriptedDownloader.Text(request, 404, "");
        });
        using var lifetime = EngineParts.Lifetime();
        var admission = Admission(downloader, lifetime, maxFetches: 1);
        foreach (var host in new[] { "a.example", "b.example", "c.example" })
        {
            admission.Admit(EngineParts.Lease($"http://{host}/"), DateTimeOffset.UtcNow);
        }

        var released = new List<Lease>();
        for (var fetched = 1; fetched <= 3; fetched++)
        {
            TaskCompletionSource? answer = null;
            await Waiting.UntilAsync(
                () =>
                {
                    lock (answers)
                    {
                        return answers.TryDequeue(out answer);
                    }
                },
                Generous,
                "the next robots.txt fetch");
            downloader.Asked.Count.ShouldBe(fetched);
            answer!.SetResult();

            await Waiting.UntilAsync(
                () =>
                {
                    admission.CollectFetched(_scheduler, released, []);
                    return released.Count == fetched;
                },
                Generous,
                "the fetch to end");
        }

        most.ShouldBe(1);
        admission.Parked.ShouldBe(0);
    }

    [Fact]
    public async Task AStopAtOnce_LeavesTheLeasesParked_AndTakeParkedHandsThemBack()
    {
        using var abort = new CancellationTokenSource();
        var downloader = new ScriptedDownloader(async (request, cancellationToken) =>
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return ScriptedDownloader.Text(request, 200, "");
        });
        using var lifetime = EngineParts.Lifetime(abort: abort.Token);
        var admission = Admission(downloader, lifetime);
        Lease[] leases = [EngineParts.Lease("http://example.com/a"), EngineParts.Lease("http://example.org/b")];
        foreach (var lease in leases)
        {
            admission.Admit(lease, DateTimeOffset.UtcNow);
        }

        await Waiting.UntilAsync(() => downloader.Asked.Count == 2, Generous, "both fetches to start");
        await abort.CancelAsync();
        await admission.StopAsync().WaitAsync(Generous);
        var released = new List<Lease>();
        admission.CollectFetched(_scheduler, released, []);

        released.ShouldBeEmpty();
        admission.TakeParked().ShouldBe(leases, ignoreOrder: true);
        admission.Parked.ShouldBe(0);
    }

    private RobotsTxtAdmission Admission(IDownloader downloader, CrawlLifetime lifetime, int maxFetches = 16, TimeSpan? unavailableFor = null)
    {
        var options = new RobotsTxtOptions { Obey = true };
        if (unavailableFor is { } wait)
        {
            options.UnavailableRetryDelay = wait;
        }

        var logger = _loggers.CreateLogger("robots");
        return new RobotsTxtAdmission(new RobotsTxtCache(options, "Trawl/1.0", downloader, TimeProvider.System, logger), maxFetches, null, _stats, lifetime, TimeProvider.System, logger);
    }

    private async Task<List<Lease>> CollectAsync(RobotsTxtAdmission admission, int expected)
    {
        var released = new List<Lease>();
        await Waiting.UntilAsync(
            () =>
            {
                admission.CollectFetched(_scheduler, released, []);
                return released.Count >= expected;
            },
            Generous,
            "the robots.txt fetch to end");
        return released;
    }
}
