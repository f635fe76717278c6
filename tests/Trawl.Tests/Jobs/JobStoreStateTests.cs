using Trawl.Frontier;
using Trawl.Jobs;
using Trawl.Spiders;

namespace Trawl.Tests.Jobs;

/// <summary>Spider state, cookies and metadata: saved, committed with progress, and restored.</summary>
public sealed class JobStoreStateTests : JobStoreTestBase
{
    private async Task<JobStore> CrashAndReopenAsync(JobStore store)
    {
        await JobCrash.SimulateAsync(store);
        return await OpenAsync();
    }

    [Fact]
    public async Task NewJob_HasNoState()
    {
        var store = await OpenAsync();

        (await store.LoadSpiderStateAsync(Ct)).ShouldBeNull();
        (await store.LoadCookiesAsync(Ct)).ShouldBeNull();
    }

    [Fact]
    public async Task SpiderStateAndCookies_RoundTrip_AcrossACrash()
    {
        var state = new SpiderState();
        state.Set("pages_seen", 42);
        state.Set("last_category", "books");
        var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await store.SaveStateAsync(new JobStateUpdate(SpiderStateJson: "{\"pages_seen\":1}", CookiesJson: "[]"), Ct);
        await store.SaveStateAsync(new JobStateUpdate(SpiderStateJson: state.ToJson()), Ct);
        await store.SaveStateAsync(new JobStateUpdate(CookiesJson: "[{\"name\":\"session\",\"value\":\"abc\",\"domain\":\"example.com\"}]"), Ct);

        var reopened = await CrashAndReopenAsync(store);

        var restored = new SpiderState();
        restored.LoadJson((await reopened.LoadSpiderStateAsync(Ct))!);
        restored.Get<int>("pages_seen").ShouldBe(42);
        restored.Get<string>("last_category").ShouldBe("books");
        (await reopened.LoadCookiesAsync(Ct)).ShouldBe("[{\"name\":\"session\",\"value\":\"abc\",\"domain\":\"example.com\"}]");
    }

    [Fact]
    public async Task PendingState_IsWrittenByTheNextCompletionBatch_NotBefore()
    {
        var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await store.Frontier.AddAsync([Req("https://example.com/a"), Req("https://example.com/b")], Ct);
        var leases = await store.Frontier.TryLeaseAsync(2, Ct);
        await store.Frontier.CompleteAsync([Completion.Done(leases[0], 200, [], [])], Ct);

        store.SetPendingState(new JobStateUpdate(SpiderStateJson: "{\"n\":1}", CookiesJson: "[1]"));
        store.SetPendingState(new JobStateUpdate(SpiderStateJson: "{\"n\":2}"));
        (await store.LoadSpiderStateAsync(Ct)).ShouldBeNull();
        await store.Frontier.CompleteAsync([Completion.Done(leases[1], 200, [], [])], Ct);

        var reopened = await CrashAndReopenAsync(store);
        (await reopened.LoadSpiderStateAsync(Ct)).ShouldBe("{\"n\":2}");
        (await reopened.LoadCookiesAsync(Ct)).ShouldBe("[1]");
        (await reopened.Frontier.GetCountsAsync(Ct)).Done.ShouldBe(2);
    }

    [Fact]
    public async Task PendingState_NotYetCommitted_IsLostWithTheCrash_LikeTheProgressItDescribes()
    {
        var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await store.Frontier.AddAsync([Req("https://example.com/a")], Ct);
        await store.Frontier.CompleteAsync([Completion.Done((await store.Frontier.TryLeaseAsync(1, Ct))[0], 200, [], [])], new JobStateUpdate(SpiderStateJson: "{\"n\":1}"), Ct);
        store.SetPendingState(new JobStateUpdate(SpiderStateJson: "{\"n\":2}"));

        var reopened = await CrashAndReopenAsync(store);

        (await reopened.LoadSpiderStateAsync(Ct)).ShouldBe("{\"n\":1}");
    }

    [Fact]
    public async Task StateGivenWithABatch_MergesOverPendingState()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/a")], Ct);
        var lease = (await store.Frontier.TryLeaseAsync(1, Ct))[0];
        store.SetPendingState(new JobStateUpdate(SpiderStateJson: "{\"old\":true}", CookiesJson: "[]"));

        await store.Frontier.CompleteAsync([Completion.Done(lease, 200, [], [])], new JobStateUpdate(SpiderStateJson: "{\"new\":true}"), Ct);

        (await store.LoadSpiderStateAsync(Ct)).ShouldBe("{\"new\":true}");
        (await store.LoadCookiesAsync(Ct)).ShouldBe("[]");
    }

    [Fact]
    public async Task PendingState_AloneIsWrittenByAnEmptyBatch()
    {
        var store = await OpenAsync();
        store.SetPendingState(new JobStateUpdate(CookiesJson: "[]"));

        await store.Frontier.CompleteAsync([], Ct);

        (await store.LoadCookiesAsync(Ct)).ShouldBe("[]");
    }

    [Fact]
    public async Task Metadata_CanBeUpdated()
    {
        var store = await OpenAsync();
        Time.Advance(TimeSpan.FromMinutes(5));

        await store.SetSpiderNameAsync("books", Ct);
        await store.SetSettingsFingerprintAsync("v2", Ct);
        await store.MarkFinishedAsync(Ct);

        var metadata = await store.GetMetadataAsync(Ct);
        metadata.SpiderName.ShouldBe("books");
        metadata.SettingsFingerprint.ShouldBe("v2");
        metadata.IsFinished.ShouldBeTrue();
        metadata.UpdatedAt.ShouldBe(Time.GetUtcNow());
        metadata.CreatedAt.ShouldBe(Time.GetUtcNow().AddMinutes(-5));

        await store.MarkRunningAsync(Ct);
        (await store.GetMetadataAsync(Ct)).IsFinished.ShouldBeFalse();
    }

    [Fact]
    public async Task ARerun_IsRemembered_AcrossACrash_UntilTheJobFinishesAgain()
    {
        var store = await OpenAsync();
        await store.MarkFinishedAsync(Ct);
        (await store.ReadRerunAsync(Ct)).StartedAt.ShouldBeNull();
        var began = Time.GetUtcNow();

        await store.BeginRerunAsync(began, requeueFetchedBefore: null, Ct);
        store = await CrashAndReopenAsync(store);

        (await store.GetMetadataAsync(Ct)).IsFinished.ShouldBeFalse();
        (await store.ReadRerunAsync(Ct)).ShouldBe((began, true), "begun, its start requests not stored yet");
        await store.RerunStartsStoredAsync(Ct);
        store = await CrashAndReopenAsync(store);
        (await store.ReadRerunAsync(Ct)).ShouldBe((began, false));

        await store.MarkFinishedAsync(Ct);
        (await store.ReadRerunAsync(Ct)).ShouldBe((null, false), "the re-run ended with the job");
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("-5")]
    [InlineData("99999999999999999999")]
    public async Task ARerunTimeEditedByHand_CountsAsNoRerun(string value)
    {
        var store = await OpenAsync();
        await store.BeginRerunAsync(Time.GetUtcNow(), requeueFetchedBefore: null, Ct);
        await store.SetValueAsync(JobDatabase.RerunStartedKey, value, Ct);

        (await store.ReadRerunAsync(Ct)).ShouldBe((null, false));
    }
}
