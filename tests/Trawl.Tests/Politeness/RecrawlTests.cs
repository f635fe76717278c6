using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Jobs;
using Trawl.Tests.Engine;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class RecrawlTests
{
    private static CrawlOptions Kept(string jobDir) => new() { HandleSignals = false, JobDir = jobDir, KeepJob = true };

    [Fact]
    public async Task ARerun_WithRecrawlAfter_RefetchesPagesOlderThanThat_AndEmitsTheirItemsAgain()
    {
        await using var server = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var first = await new SiteSpider(server.BaseUrl).RunAsync(Kept(temp.File("job")));
        first.Paused.ShouldBeFalse();
        await Task.Delay(50);

        var again = Kept(temp.File("job"));
        again.RecrawlAfter = TimeSpan.FromMilliseconds(20);
        var second = await new SiteSpider(server.BaseUrl).RunAsync(again);

        second.Stats.Pages.ShouldBe(first.Stats.Pages);
        second.Items.Count.ShouldBe(first.Items.Count);
        server.FetchCount("/").ShouldBe(2);
        server.FetchCount("/pages/7").ShouldBe(2);
    }

    [Fact]
    public async Task ARerun_WithALongRecrawlAfter_RefetchesOnlyTheStartPages_AndEmitsNothingElseAgain()
    {
        await using var server = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        await new SiteSpider(server.BaseUrl).RunAsync(Kept(temp.File("job")));

        var again = Kept(temp.File("job"));
        again.RecrawlAfter = TimeSpan.FromDays(7);
        var second = await new SiteSpider(server.BaseUrl).RunAsync(again);

        second.Stats.Pages.ShouldBe(1);
        second.Items.Count.ShouldBe(1);
        server.FetchCount("/").ShouldBe(2);
        server.FetchCount("/pages/7").ShouldBe(1);
    }

    [Fact]
    public async Task ARerunStoppedBeforeItStoredItsStartRequests_StillFetchesTheStartPagesAgain_WhenResumed()
    {
        await using var server = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        await new SiteSpider(server.BaseUrl).RunAsync(Kept(temp.File("job")));

        // What a re-run killed right after opening the job leaves: begun, its start requests not stored yet.
        await using (var store = await JobStore.OpenAsync(temp.File("job"), new JobStoreOptions(), CancellationToken.None))
        {
            await store.BeginRerunAsync(DateTimeOffset.UtcNow, requeueFetchedBefore: null, CancellationToken.None);
        }

        var resumed = await new SiteSpider(server.BaseUrl).RunAsync(Kept(temp.File("job")));

        resumed.Paused.ShouldBeFalse();
        server.FetchCount("/").ShouldBe(2, "the start page, fetched again as the re-run meant to");
        server.FetchCount("/pages/7").ShouldBe(1);
        resumed.Items.Count.ShouldBe(1);
    }

    [Fact]
    public async Task RequeueDone_PutsBackOnlyDonePagesFetchedBeforeTheCutoff_NotStartPages()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        using var temp = new TempDirectory();
        await new SiteSpider(server.BaseUrl).RunAsync(Kept(temp.File("job")));
        await using var store = await JobStore.OpenAsync(temp.File("job"), new JobStoreOptions(), CancellationToken.None);
        var before = await store.Frontier.GetCountsAsync(CancellationToken.None);

        (await store.RequeueDoneAsync(DateTimeOffset.UnixEpoch, CancellationToken.None)).ShouldBe(0);
        var requeued = await store.RequeueDoneAsync(DateTimeOffset.MaxValue, CancellationToken.None);

        requeued.ShouldBe(before.Done - 1);
        var after = await store.Frontier.GetCountsAsync(CancellationToken.None);
        after.Pending.ShouldBe(requeued);
        after.Done.ShouldBe(1);
    }

    [Fact]
    public async Task RequeueDone_UsesTheFinishedRequestsIndex()
    {
        using var temp = new TempDirectory();
        await using var store = await JobStore.OpenAsync(temp.File("job"), new JobStoreOptions(), CancellationToken.None);

        var plan = await store.RunForTestsAsync(db => db.ExplainQueryPlan(JobDatabase.Sql.RequeueDone));

        plan.ShouldContain(line => line.Contains("requests_finished"));
    }
}
