using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>A full disk met outside the commit loop (adding start requests, leasing) pauses the crawl with the error.</summary>
public sealed class EngineFullDiskTests
{
    [Theory]
    [InlineData("lease")]
    [InlineData("add")]
    public async Task FullDiskOutsideTheCommitLoop_PausesWithTheError_InsteadOfThrowing(string where)
    {
        await using var server = await TestSites.StartAsync(pages: 40);
        await using var frontier = new FillingFrontier(where, failAfter: where == "add" ? 0 : 3);

        var result = await new CrawlerBuilder(new SiteSpider(server.BaseUrl), new CrawlOptions { HandleSignals = false }).UseFrontier(frontier).Build().RunAsync();

        result.Paused.ShouldBeTrue();
        result.Error.ShouldNotBeNull().ShouldContain("full");
        result.PauseReason.ShouldBe(result.Error);
    }

    private sealed class FillingFrontier(string where, int failAfter) : IFrontier
    {
        private readonly MemoryFrontier _inner = new();
        private int _calls;

        public ValueTask<int> AddAsync(IReadOnlyList<Request> requests, CancellationToken cancellationToken)
        {
            MaybeFail("add");
            return _inner.AddAsync(requests, cancellationToken);
        }

        public ValueTask<IReadOnlyList<Lease>> TryLeaseAsync(int max, CancellationToken cancellationToken)
        {
            MaybeFail("lease");
            return _inner.TryLeaseAsync(max, cancellationToken);
        }

        public ValueTask<bool> WaitToLeaseAsync(CancellationToken cancellationToken) => _inner.WaitToLeaseAsync(cancellationToken);

        public ValueTask<CompletionResult> CompleteAsync(IReadOnlyList<Completion> completions, CancellationToken cancellationToken) => _inner.CompleteAsync(completions, cancellationToken);

        public ValueTask ReleaseAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => _inner.ReleaseAsync(leases, cancellationToken);

        public ValueTask RenewAsync(IReadOnlyList<Lease> leases, CancellationToken cancellationToken) => _inner.RenewAsync(leases, cancellationToken);

        public ValueTask<FrontierCounts> GetCountsAsync(CancellationToken cancellationToken) => _inner.GetCountsAsync(cancellationToken);

        public ValueTask DisposeAsync() => _inner.DisposeAsync();

        private void MaybeFail(string call)
        {
            if (call == where && Interlocked.Increment(ref _calls) > failAfter)
            {
                throw new JobStoreFullException("/tmp/job", new IOException("No space left on device"));
            }
        }
    }
}
