using System.Text.Json;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>What the SQLite frontier does beyond the contract.</summary>
public sealed class SqliteFrontierTests : JobStoreTestBase
{
    [Fact]
    public async Task Request_SurvivesAReopen_WithEverythingItCarries()
    {
        var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await store.Frontier.AddAsync(
        [
            new Request("https://example.com/search?q=a b")
            {
                Method = "POST",
                Headers = { ["Content-Type"] = "application/json" },
                Body = [1, 2, 3],
                Priority = 4,
                Depth = 2,
                Meta = { ["page"] = 3, ["tags"] = new[] { "x", "y" } },
                DontFilter = true,
                Callback = "ParseResults",
            },
        ], Ct);
        await JobCrash.SimulateAsync(store);

        var reopened = await OpenAsync();
        var lease = (await reopened.Frontier.TryLeaseAsync(1, Ct)).Single();

        var request = lease.Request;
        request.Url.ShouldBe(new Uri("https://example.com/search?q=a b"));
        request.Method.ShouldBe("POST");
        request.Headers["content-type"].ShouldBe("application/json");
        request.Body.ShouldBe(new byte[] { 1, 2, 3 });
        request.Priority.ShouldBe(4);
        request.Depth.ShouldBe(2);
        request.GetMeta<int>("page").ShouldBe(3);
        request.GetMeta<string[]>("tags").ShouldBe(["x", "y"]);
        request.DontFilter.ShouldBeTrue();
        request.Callback.ShouldBe("ParseResults");
        request.Fingerprint.ShouldBe(new Request("https://example.com/search?q=a b") { Method = "POST", Body = [1, 2, 3] }.Fingerprint);
    }

    [Fact]
    public async Task DontFilterRequest_DoesNotMarkItsFingerprintAsSeen()
    {
        var store = await OpenAsync();

        (await store.Frontier.AddAsync([new Request("https://example.com/a") { DontFilter = true }], Ct)).ShouldBe(1);
        (await store.Frontier.AddAsync([new Request("https://example.com/a")], Ct)).ShouldBe(1);
        (await store.Frontier.AddAsync([new Request("https://example.com/a")], Ct)).ShouldBe(0);
    }

    [Fact]
    public async Task RequestWithUnserializableMeta_FailsTheCall_AndStoresNothing()
    {
        var store = await OpenAsync();
        var bad = new Request("https://example.com/bad") { Meta = { ["handle"] = new Func<int>(() => 1) } };

        var ex = await Should.ThrowAsync<InvalidRequestMetaException>(async () => await store.Frontier.AddAsync([new Request("https://example.com/ok"), bad], Ct));

        ex.Key.ShouldBe("handle");
        (await store.Frontier.GetCountsAsync(Ct)).Total.ShouldBe(0);
    }

    [Fact]
    public async Task TamperedRequestRow_FailsOnItsOwn_InsteadOfBlockingTheCrawl()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/a"), Req("https://example.com/b"), Req("https://example.com/c")], Ct);
        await store.RunForTestsAsync(db =>
        {
            using var command = db.Connection.CreateCommand();
            command.CommandText = "UPDATE requests SET request = CAST('{\"url\":\"ftp://nope\"}' AS BLOB) WHERE id = 2";
            return command.ExecuteNonQuery();
        });

        var leases = await store.Frontier.TryLeaseAsync(10, Ct);

        leases.Select(l => l.Request.Url.AbsolutePath).ShouldBe(["/a", "/c"]);
        var status = await store.GetStatusAsync(cancellationToken: Ct);
        status.Counts.Failed.ShouldBe(1);
        status.TopErrors.Single().Kind.ShouldBe("invalid_request");
    }

    [Fact]
    public async Task Leases_NeverExpire_ByDefault()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/a")], Ct);
        var lease = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();

        Time.Advance(TimeSpan.FromDays(30));

        lease.ExpiresAt.ShouldBe(DateTimeOffset.MaxValue);
        (await store.Frontier.TryLeaseAsync(1, Ct)).ShouldBeEmpty();
        (await store.Frontier.CompleteAsync([Completion.Done(lease, 200, [], [])], Ct)).Accepted.ShouldBe([true]);
    }

    [Fact]
    public async Task Items_AreStoredAsGiven()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([Req("https://example.com/a")], Ct);
        var lease = (await store.Frontier.TryLeaseAsync(1, Ct)).Single();
        var json = JsonSerializer.SerializeToUtf8Bytes(new { title = "Ünïcode — ok", price = 12.5 });

        await store.Frontier.CompleteAsync([Completion.Done(lease, 200, [], [json])], Ct);

        (await store.Frontier.ReadItemsAsync(0, 10, Ct)).Single().Json.ShouldBe(json);
    }
}
