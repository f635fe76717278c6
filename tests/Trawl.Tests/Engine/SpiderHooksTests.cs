using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Spiders;
using Trawl.Tests.Politeness;

namespace Trawl.Tests.Engine;

public sealed class SpiderHooksTests : IDisposable
{
    private readonly StatsCollector _stats = EngineParts.Stats();
    private readonly CapturingLoggerProvider _log = new();
    private readonly ILoggerFactory _loggers;
    private readonly CrawlLifetime _lifetime = EngineParts.Lifetime();

    public SpiderHooksTests() => _loggers = _log.CreateFactory();

    public void Dispose()
    {
        _stats.Dispose();
        _loggers.Dispose();
        _lifetime.Dispose();
    }

    [Fact]
    public void StartRequestsThatThrowHalfWay_KeepWhatCameBefore_AndTheFaultIsCountedOnce()
    {
        var hooks = Hooks(new Faulty { StartsBeforeThrowing = 2 });

        hooks.StartRequests().Select(request => request.Url.AbsolutePath).ShouldBe(["/0", "/1"]);

        Errors().ShouldBe(new Dictionary<string, long> { ["start_requests_error"] = 1 });
        _log.Text.ShouldContain("StartRequests failed (start_requests_error)");
    }

    [Fact]
    public void StartRequests_ThatThrowBeforeYieldingAnything_GiveNone()
    {
        var hooks = Hooks(new Faulty { StartsBeforeThrowing = -1 });

        hooks.StartRequests().ShouldBeEmpty();

        Errors()["start_requests_error"].ShouldBe(1);
    }

    [Fact]
    public void NullStartRequests_AreLeftOut()
    {
        var hooks = Hooks(new Faulty { StartsBeforeThrowing = int.MaxValue, Limit = 3, NullAt = 1 });

        hooks.StartRequests().Select(request => request.Url.AbsolutePath).ShouldBe(["/0", "/2"]);

        Errors().ShouldBeEmpty();
    }

    [Fact]
    public async Task OnStartAndOnClose_ThatThrow_EvenBeforeReturningATask_AreCountedAndLogged()
    {
        var hooks = Hooks(new Faulty());

        await hooks.OnStartAsync(resuming: false);
        await hooks.OnCloseAsync();

        Errors().ShouldBe(new Dictionary<string, long> { ["on_close_error"] = 1, ["on_start_error"] = 1 });
        _log.Text.ShouldContain("OnStartAsync failed (on_start_error)");
        _log.Text.ShouldContain("OnCloseAsync failed (on_close_error)");
    }

    private IReadOnlyDictionary<string, long> Errors() => _stats.Snapshot(0, 0, new Dictionary<string, long>()).ErrorsByKind;

    private SpiderHooks Hooks(Spider spider) => new(spider, _stats, _lifetime, _loggers.CreateLogger("hooks"));

    private sealed class Faulty : Spider
    {
        public int StartsBeforeThrowing { get; init; }

        public int Limit { get; init; } = int.MaxValue;

        public int NullAt { get; init; } = -1;

        // Not async: they throw before there is any task.
        public override ValueTask OnStartAsync(bool resuming, CancellationToken cancellationToken) => throw new InvalidOperationException("start");

        public override ValueTask OnCloseAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("close");

        public override IEnumerable<Request> StartRequests()
        {
            if (StartsBeforeThrowing < 0)
            {
                throw new InvalidOperationException("no start requests at all");
            }

            return Starts();
        }

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }

        private IEnumerable<Request> Starts()
        {
            for (var i = 0; i < Limit; i++)
            {
                if (i == StartsBeforeThrowing)
                {
                    throw new InvalidOperationException("no more start requests");
                }

                yield return i == NullAt ? null! : new Request($"http://example.com/{i}");
            }
        }
    }
}
