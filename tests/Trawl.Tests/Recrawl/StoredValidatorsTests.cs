using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Sitemaps;
using Trawl.Tests.Jobs;

namespace Trawl.Tests.Recrawl;

/// <summary>How a job stores the validators of its pages and hands them back with a re-crawl's leases.</summary>
public sealed class StoredValidatorsTests : JobStoreTestBase
{
    private static readonly PageValidators First = new("\"r0\"", "Thu, 01 Jan 2026 00:00:00 GMT");

    [Fact]
    public async Task ARequeuedPage_IsLeasedWithTheValidatorsItWasFetchedWith_AndA304KeepsThemRenewed()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([new Request("https://example.com/a") { Depth = 1 }], Ct);
        var lease = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        lease.Validators.ShouldBeNull();
        await CompleteAsync(store, Completion.Done(lease, 200, [], [], 0, First));

        (await store.RequeueDoneAsync(DateTimeOffset.MaxValue, Ct)).ShouldBe(1);
        var again = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        again.Validators.ShouldBe(First);

        var renewed = new PageValidators("\"r1\"", First.LastModified);
        await CompleteAsync(store, Completion.Unchanged(again, renewed));
        var status = await store.GetStatusAsync(cancellationToken: Ct);
        (status.RecrawlUnchanged, status.RecrawlChanged).ShouldBe((1L, 0L));

        (await store.RequeueDoneAsync(DateTimeOffset.MaxValue, Ct)).ShouldBe(1);
        var third = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        third.Validators.ShouldBe(renewed);
        await CompleteAsync(store, Completion.Done(third, 200, [], [], 0, default));
        status = await store.GetStatusAsync(cancellationToken: Ct);
        (status.RecrawlUnchanged, status.RecrawlChanged).ShouldBe((0L, 1L), "a new re-crawl counts from zero");

        // A response without validators leaves none: the next re-crawl fetches the page in full.
        (await store.RequeueDoneAsync(DateTimeOffset.MaxValue, Ct)).ShouldBe(1);
        (await store.Frontier.TryLeaseAsync(1, Ct)).Single().Validators.ShouldBeNull();
    }

    [Fact]
    public async Task ASitemapEntryWithANewerLastmod_IsLeasedWithTheStoredValidators()
    {
        var store = await OpenAsync();
        var entry = new Request("https://example.com/listed") { Depth = 1 };
        entry.Meta[SitemapRequests.LastmodMeta] = "2020-01-01T00:00:00Z";
        await store.Frontier.AddAsync([entry], Ct);
        await CompleteAsync(store, Completion.Done((await store.Frontier.TryLeaseAsync(1, Ct)).Single(), 200, [], [], 0, First));

        var changed = new Request("https://example.com/listed") { Depth = 1 };
        changed.Meta[SitemapRequests.LastmodMeta] = "2999-01-01T00:00:00Z";
        (await store.Frontier.AddAsync([changed], Ct)).ShouldBe(1);

        (await store.Frontier.TryLeaseAsync(1, Ct)).Single().Validators.ShouldBe(First);
    }

    [Fact]
    public async Task ARetriedConditionalRequest_KeepsItsValidators()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([new Request("https://example.com/a") { Depth = 1 }], Ct);
        await CompleteAsync(store, Completion.Done((await store.Frontier.TryLeaseAsync(1, Ct)).Single(), 200, [], [], 0, First));
        await store.RequeueDoneAsync(DateTimeOffset.MaxValue, Ct);

        var lease = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        await CompleteAsync(store, Completion.Retry(lease, "http_503", "HTTP 503", DateTimeOffset.UnixEpoch, 503));

        (await store.Frontier.TryLeaseAsync(1, Ct)).Single().Validators.ShouldBe(First);
    }

    private async Task CompleteAsync(JobStore store, Completion completion) =>
        (await store.Frontier.CompleteAsync([completion], Ct)).Accepted.ShouldBe([true]);
}
