using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

public sealed class RequestOutcomesTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly StatsCollector _stats;
    private readonly DomainScheduler _scheduler = new(new CrawlOptions(), new Random(1));
    private readonly DomainEvents _events = new(NullLogger.Instance);

    public RequestOutcomesTests() => _stats = EngineParts.Stats(_time);

    public void Dispose() => _stats.Dispose();

    [Fact]
    public void AFailure_IsRetriedWithBackoff_UntilItsRetriesAreUsedUp_ThenFails()
    {
        var retry = new RetryOptions { MaxRetries = 2, Backoff = TimeSpan.FromSeconds(1) };
        var outcomes = Outcomes(retry);

        var first = outcomes.RetryOrFail(Lease(attempt: 1), "timeout", "took too long", null);
        var second = outcomes.RetryOrFail(Lease(attempt: 2), "timeout", "took too long", null);
        var third = outcomes.RetryOrFail(Lease(attempt: 3), "timeout", "took too long", null);

        first.Status.ShouldBe(CompletionStatus.Retry);
        first.RetryAt.ShouldBe(_time.GetUtcNow() + retry.BackoffFor(1));
        second.RetryAt.ShouldBe(_time.GetUtcNow() + retry.BackoffFor(2));
        third.Status.ShouldBe(CompletionStatus.Failed);
        var stats = _stats.Snapshot(0, 0, new Dictionary<string, long>());
        stats.Retries.ShouldBe(2);
        stats.Failed.ShouldBe(1);
    }

    [Fact]
    public void ARetry_ComesNoSoonerThanItsFloor()
    {
        var outcomes = Outcomes(new RetryOptions { Backoff = TimeSpan.FromSeconds(1) });
        var floor = _time.GetUtcNow().AddMinutes(5);

        outcomes.RetryOrFail(Lease(), "robots_unavailable", "down", null, floor).RetryAt.ShouldBe(floor);
    }

    [Fact]
    public void DontRetry_FailsAtTheFirstFailure()
    {
        var lease = new Lease(1, 1, new Request("http://example.com/") { Meta = { [RequestMeta.DontRetry] = true } }, 1, DateTimeOffset.MaxValue);

        Outcomes(new RetryOptions()).RetryOrFail(lease, "http_503", "HTTP 503", 503).Status.ShouldBe(CompletionStatus.Failed);
    }

    [Fact]
    public void AFault_FailsWithoutRetry_RecordingTheExceptionTypeAndMessage()
    {
        var completion = Outcomes(new RetryOptions()).Fault(Lease(), "middleware_error", "Agents.ProcessRequestAsync", new InvalidOperationException("no agent"), 200);

        completion.Status.ShouldBe(CompletionStatus.Failed);
        completion.ErrorKind.ShouldBe("middleware_error");
        completion.Error.ShouldBe("InvalidOperationException: no agent");
        completion.HttpStatus.ShouldBe(200);
        var stats = _stats.Snapshot(0, 0, new Dictionary<string, long>());
        stats.ErrorsByKind["middleware_error"].ShouldBe(1);
        stats.Failed.ShouldBe(1);
    }

    [Fact]
    public void RetryAfter_OnA503_PausesTheDomain_CappedAtTheMaximum()
    {
        var outcomes = Outcomes(new RetryOptions { MaxRetryAfter = TimeSpan.FromMinutes(1) });
        var response = new Response(
            new Request("http://example.com/"),
            new Uri("http://example.com/"),
            503,
            new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = ["3600"] },
            Array.Empty<byte>());

        var until = outcomes.HonourRetryAfter("example.com", response);

        until.ShouldBe(_time.GetUtcNow().AddMinutes(1));
        _events.ApplyTo(_scheduler, _time.GetUtcNow());
        _scheduler.NextStartOf("example.com").ShouldBe(_time.GetUtcNow().AddMinutes(1));
    }

    private static Lease Lease(int attempt = 1) => EngineParts.Lease("http://example.com/", attempt);

    private RequestOutcomes Outcomes(RetryOptions retry) => new(retry, _stats, _events, _time, NullLogger.Instance);
}
