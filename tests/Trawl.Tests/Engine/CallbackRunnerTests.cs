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

    public void Dispose() => _stats.Dispose();

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

    private static IEnumerable<object> ThenThrow(params object[] first)
    {
        foreach (var output in first)
        {
            yield return output;
        }

        throw new InvalidOperationException("parse broke");
    }

    private CallbackRunner Runner(Spider spider, int? maxDepth = null, CrawlScope? scope = null) =>
        new(spider, maxDepth, scope, null, new RequestOutcomes(new RetryOptions(), _stats, new DomainEvents(NullLogger.Instance), TimeProvider.System, NullLogger.Instance), _stats, TimeProvider.System, TimeSpan.FromSeconds(10), CancellationToken.None, NullLogger.Instance);

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
