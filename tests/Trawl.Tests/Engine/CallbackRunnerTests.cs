using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Politeness;
using Trawl.Spiders;
using Trawl.Tests.Http;

namespace Trawl.Tests.Engine;

public sealed class CallbackRunnerTests : IDisposable
{
    private readonly StatsCollector _stats = EngineParts.Stats();
    private readonly MemoryFrontier _frontier = new();

    public void Dispose()
    {
        _stats.Dispose();
        _frontier.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public async Task WhatTheCallbackYields_BecomesTheCompletion_RequestsOneLevelDeeper_ItemsAsJson()
    {
        var spider = new Yielding(_ => [new Request("http://example.com/next"), new { title = "a" }, null!]);
        var lease = EngineParts.Lease("http://example.com/");

        var completion = await Runner(spider).RunAsync(lease, TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.Status.ShouldBe(CompletionStatus.Done);
        completion.Discovered.ShouldHaveSingleItem().Depth.ShouldBe(1);
        Encoding.UTF8.GetString(completion.Items.ShouldHaveSingleItem()).ShouldBe("""{"title":"a"}""");
    }

    [Fact]
    public async Task RequestsPastTheDepthLimit_AreDroppedAndCounted()
    {
        var spider = new Yielding(_ => [new Request("http://example.com/deep"), new Request("http://example.com/deeper")]);

        var completion = await Runner(spider, maxDepth: 0).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.Discovered.ShouldBeEmpty();
        _stats.Snapshot(0, 0, new Dictionary<string, long>()).FilteredByKind["max_depth"].ShouldBe(2);
    }

    [Fact]
    public async Task RequestsOutOfScope_AreDroppedAndCounted()
    {
        var spider = new Yielding(_ => [new Request("http://example.com/next"), new Request("http://elsewhere.org/")]);
        var completion = await Runner(spider, scope: CrawlScope.From(["example.com"])).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.Discovered.ShouldHaveSingleItem().Url.AbsoluteUri.ShouldBe("http://example.com/next");
        _stats.Snapshot(0, 0, new Dictionary<string, long>()).FilteredByKind["offsite"].ShouldBe(1);
    }

    [Fact]
    public async Task ACallbackThatThrows_FailsItsRequestAsCallback_KeepingNothingItYielded()
    {
        var spider = new Yielding(_ => ThenThrow(new { title = "a" }, new Request("http://example.com/next")));

        var completion = await Runner(spider).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.Status.ShouldBe(CompletionStatus.Failed);
        completion.ErrorKind.ShouldBe("callback");
        completion.Error.ShouldBe("InvalidOperationException: parse broke");
        completion.Items.ShouldBeEmpty();
        completion.Discovered.ShouldBeEmpty();
    }

    [Fact]
    public async Task AnItemThatIsNotAJsonObject_FailsItsRequestAsCallback()
    {
        var spider = new Yielding(_ => ["just a string"]);

        var completion = await Runner(spider).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.ErrorKind.ShouldBe("callback");
        completion.Error.ShouldNotBeNull().ShouldContain("JSON object");
    }

    [Fact]
    public async Task AStoredCallbackTheSpiderNoLongerHas_FailsAsUnknownCallback()
    {
        var lease = new Lease(1, 1, new Request("http://example.com/") { Callback = "ParseGone" }, 1, DateTimeOffset.MaxValue);

        var completion = await Runner(new Yielding(_ => [])).RunAsync(lease, TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.ErrorKind.ShouldBe("unknown_callback");
    }

    [Fact]
    public async Task RequestsPastTheLinkLimit_AreDroppedAndCountedAsLinksTruncated()
    {
        var spider = new Yielding(_ => Enumerable.Range(0, 5).Select(i => (object)new Request($"http://example.com/{i}")));

        var completion = await Runner(spider, maxLinks: 3).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        completion.Discovered.Select(r => r.Url.AbsolutePath).ShouldBe(["/0", "/1", "/2"]);
        _stats.Snapshot(0, 0, new Dictionary<string, long>()).FilteredByKind["links_truncated"].ShouldBe(2);
    }

    [Fact]
    public async Task RequestsDroppedForDepth_DoNotCountTowardTheLinkLimit()
    {
        var spider = new Yielding(_ => [new Request("http://example.com/a"), new Request("http://example.com/b")]);

        await Runner(spider, maxDepth: 0, maxLinks: 1).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        var filtered = _stats.Snapshot(0, 0, new Dictionary<string, long>()).FilteredByKind;
        filtered["max_depth"].ShouldBe(2);
        filtered.Keys.ShouldNotContain("links_truncated");
    }

    [Fact]
    public async Task APageWithThousandsOfLinks_SchedulesThemInBatchesWhileItsCallbackRuns_AndCompletesWithTheRest()
    {
        var batch = CallbackRunner.ScheduleBatch;
        long pendingMidway = -1;
        var spider = new Yielding(_ => Links(batch + 1, afterwards: () => pendingMidway = _frontier.GetCountsAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult().Pending));

        var completion = await Runner(spider).RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None);

        // The first batch was in the frontier before the callback had finished; the rest come with the completion.
        pendingMidway.ShouldBe(batch);
        completion.Discovered.Count.ShouldBe(1);
        completion.Discovered[0].Depth.ShouldBe(1);
        (await _frontier.GetCountsAsync(CancellationToken.None)).Pending.ShouldBe(batch);
    }

    [Fact]
    public async Task AFrontierThatFailsToTakeABatch_StopsTheRun_NotTheRequestAsACallbackFault()
    {
        var spider = new Yielding(_ => Links(CallbackRunner.ScheduleBatch, afterwards: null));
        await using var broken = new FailingFrontier();
        var runner = new CallbackRunner(spider, null, null, null, broken, null, Outcomes(), _stats, TimeProvider.System, TimeSpan.FromSeconds(10), CancellationToken.None, NullLogger.Instance);

        var thrown = await Should.ThrowAsync<SchedulingFailedException>(() => runner.RunAsync(EngineParts.Lease("http://example.com/"), TestResponses.Html("<p>x</p>", "http://example.com/"), CancellationToken.None));

        thrown.InnerException.ShouldBeOfType<IOException>();
    }

    private static IEnumerable<object> Links(int count, Action? afterwards)
    {
        for (var i = 0; i < count; i++)
        {
            yield return new Request($"http://example.com/{i}");
        }

        afterwards?.Invoke();
    }

    private static IEnumerable<object> ThenThrow(params object[] first)
    {
        foreach (var output in first)
        {
            yield return output;
        }

        throw new InvalidOperationException("parse broke");
    }

    private CallbackRunner Runner(Spider spider, int? maxDepth = null, CrawlScope? scope = null, int? maxLinks = null) =>
        new(spider, maxDepth, scope, null, _frontier, maxLinks, Outcomes(), _stats, TimeProvider.System, TimeSpan.FromSeconds(10), CancellationToken.None, NullLogger.Instance);

    private RequestOutcomes Outcomes() => new(new RetryOptions(), _stats, new DomainEvents(NullLogger.Instance), TimeProvider.System, NullLogger.Instance);

    /// <summary>A frontier whose disk is gone: scheduling fails. Nothing else is asked of it here.</summary>
    private sealed class FailingFrontier : IFrontier
    {
        public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken) => throw new IOException("disk gone");

        public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Yields, lazily and in order, what a function makes of the response.</summary>
    private sealed class Yielding(Func<Response, IEnumerable<object>> outputs) : Spider
    {
        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var output in outputs(response))
            {
                yield return output;
            }

            await Task.CompletedTask;
        }
    }
}
