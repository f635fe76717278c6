using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;

namespace Trawl.Tests.Jobs;

/// <summary>
/// That the store keeps working in bulk, and that its queries stay index lookups as the job grows (checked through
/// SQLite's query plans, not by timing anything).
/// </summary>
public sealed class JobStoreScaleTests : JobStoreTestBase
{
    [Fact]
    public async Task HundredThousandRequests_AddLeaseAndComplete_InBatches()
    {
        const int total = 100_000;
        var store = await OpenAsync();
        for (var start = 0; start < total; start += 10_000)
        {
            var batch = Enumerable.Range(start, 10_000).Select(i => new Request($"https://example.com/p/{i}") { Priority = i % 3 }).ToArray();
            (await store.Frontier.AddAsync(batch, Ct)).ShouldBe(10_000);
        }

        (await store.Frontier.AddAsync(Enumerable.Range(0, 1000).Select(i => new Request($"https://example.com/p/{i * 7}")).ToArray(), Ct)).ShouldBe(0);

        long done = 0, lastSequence = 0;
        var lastPriority = int.MaxValue;
        while (await store.Frontier.WaitToLeaseAsync(Ct))
        {
            var leases = await store.Frontier.TryLeaseAsync(500, Ct);
            leases.First().Request.Priority.ShouldBeLessThanOrEqualTo(lastPriority);
            lastPriority = leases.Last().Request.Priority;
            var result = await store.Frontier.CompleteAsync(
                leases.Select(l => Completion.Done(l, 200, [new Request($"https://example.com/p/{(l.EntryId * 31) % total}")], [Item(l.EntryId.ToString(System.Globalization.CultureInfo.InvariantCulture))])).ToArray(),
                Ct);
            result.Accepted.ShouldAllBe(a => a);
            result.Added.ShouldBe(0);
            result.Items.Count.ShouldBe(leases.Count);
            result.Items[0].Sequence.ShouldBe(lastSequence + 1);
            lastSequence = result.Items[^1].Sequence;
            done += leases.Count;
        }

        done.ShouldBe(total);
        (await store.Frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(0, 0, total, 0, 0));
        lastSequence.ShouldBe(total);
        var read = 0L;
        for (var after = 0L; (await store.Frontier.ReadItemsAsync(after, 10_000, Ct)) is { Count: > 0 } items; after = items[^1].Sequence)
        {
            items[0].Sequence.ShouldBe(after + 1);
            read += items.Count;
        }

        read.ShouldBe(total);
    }

    public static TheoryData<string, string> Plans => new()
    {
        { nameof(JobDatabase.Sql.Lease), "requests_ready" },
        { nameof(JobDatabase.Sql.Recover), "requests_leased" },
        { nameof(JobDatabase.Sql.Reclaim), "requests_leased" },
        { nameof(JobDatabase.Sql.Promote), "requests_delayed" },
        { nameof(JobDatabase.Sql.HasReady), "requests_ready" },
        { nameof(JobDatabase.Sql.NextDue), "requests_delayed" },
        { nameof(JobDatabase.Sql.HasLeased), "requests_leased" },
        { nameof(JobDatabase.Sql.NextExpiry), "requests_leased" },
        { nameof(JobDatabase.Sql.Finish), "INTEGER PRIMARY KEY" },
        { nameof(JobDatabase.Sql.Release), "INTEGER PRIMARY KEY" },
        { nameof(JobDatabase.Sql.Renew), "INTEGER PRIMARY KEY" },
        { nameof(JobDatabase.Sql.RetryFailed), "requests_finished" },
        { nameof(JobDatabase.Sql.DoneSince), "requests_finished" },
        { nameof(JobDatabase.Sql.TopErrors), "requests_finished" },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public async Task Query_UsesItsIndex_AndNeverScansOrSortsTheTable(string statement, string index)
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync(Enumerable.Range(0, 100).Select(i => new Request($"https://example.com/{i}")).ToArray(), Ct);
        var sql = (string)typeof(JobDatabase.Sql).GetField(statement)!.GetValue(null)!;

        var plan = await store.RunForTestsAsync(db => db.ExplainQueryPlan(sql));

        var text = string.Join("\n", plan);
        text.ShouldContain(index, customMessage: text);
        // "SCAN requests USING INDEX x" walks a partial index, which holds only the rows the query wants; a bare
        // "SCAN requests" would read the whole table.
        plan.ShouldNotContain(line => line.StartsWith("SCAN requests", StringComparison.Ordinal) && !line.Contains("INDEX", StringComparison.Ordinal), customMessage: text);
        if (statement == nameof(JobDatabase.Sql.Lease))
        {
            text.ShouldNotContain("TEMP B-TREE", customMessage: text);
        }
    }

    [Fact]
    public async Task Deduplication_IsByTheUniqueIndex_NotByMemory()
    {
        var store = await OpenAsync();
        await store.Frontier.AddAsync([new Request("https://example.com/a")], Ct);

        var indexes = await store.RunForTestsAsync(db =>
        {
            using var command = db.Connection.CreateCommand();
            command.CommandText = "SELECT \"unique\", partial FROM pragma_index_list('requests') WHERE name = 'requests_fingerprint'";
            using var reader = command.ExecuteReader();
            reader.Read().ShouldBeTrue();
            return (Unique: reader.GetInt64(0), Partial: reader.GetInt64(1));
        });

        indexes.ShouldBe((1L, 1L));
    }
}
