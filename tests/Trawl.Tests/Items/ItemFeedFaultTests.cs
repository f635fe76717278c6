using System.Text.Json;
using System.Text.Json.Nodes;
using Trawl.Frontier;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Tests.Support;

namespace Trawl.Tests.Items;

/// <summary>A pipeline or the exporter failing on an item fails that item alone; the feed finds it and goes on.</summary>
public sealed class ItemFeedFaultTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ABatchPipelineThrowingOnOneItem_FailsThatItemOnly_WhateverTheBatch()
    {
        var log = new FailureRecordingLog();
        var path = _dir.File("out.jsonl");
        var options = new ItemFeedOptions { Output = path, ItemLog = log, Pipelines = { new ThrowsOnBatchWith(7) } };

        await using (var feed = await ItemFeed.StartAsync(options, CancellationToken.None))
        {
            await feed.WriteAsync(TestItems.Range(1, 20), CancellationToken.None);
            await feed.CompleteAsync(finished: true, CancellationToken.None);

            feed.Failed.ShouldBe(1);
            feed.FailuresByKind.ShouldBe(new Dictionary<string, long> { [ItemFeed.PipelineError] = 1 });
            feed.Exported.ShouldBe(19);
            feed.Dropped.ShouldBe(0);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.JsonLines)).ShouldBe([.. Enumerable.Range(1, 20).Where(n => n != 7).Select(n => (long)n)]);
        var failure = log.Failures.ShouldHaveSingleItem();
        failure.Sequence.ShouldBe(7);
        failure.Kind.ShouldBe(ItemFeed.PipelineError);
        failure.Error.ShouldContain(nameof(ThrowsOnBatchWith));
        log.Checkpoint(path).Sequence.ShouldBe(20);
    }

    [Fact]
    public async Task ItemsRunAgainAfterAPipelineThrew_StartFromTheirCommittedJson_NotFromWhatThePipelineChanged()
    {
        var options = new ItemFeedOptions { Pipelines = { new ThrowsOnBatchWith(3, stampFirst: true) } };

        await using var feed = await ItemFeed.StartAsync(options, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 6), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(feed.Items).ShouldBe([1, 2, 4, 5, 6]);
        feed.Items.ShouldAllBe(item => (long)item["stamps"]! == 1);
    }

    [Theory]
    [InlineData(".csv")]
    [InlineData(".jsonl")]
    public async Task AnItemTheExporterCannotWrite_FailsAlone_AndTheOthersAreWrittenInOrder(string extension)
    {
        var log = new FailureRecordingLog();
        var path = _dir.File("out" + extension);
        // The CSV exporter cannot read an object holding the same key twice; JSON Lines writes it as it is, so it
        // fails the same item only in CSV.
        CommittedItem[] items = [.. TestItems.Range(1, 5).Select(item => item.Sequence == 2 ? new CommittedItem(2, """{"n":2,"n":2}"""u8.ToArray()) : item)];

        await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, CancellationToken.None))
        {
            await feed.WriteAsync(items, CancellationToken.None);
            await feed.CompleteAsync(finished: true, CancellationToken.None);
            feed.Fault.ShouldBeNull();
        }

        if (extension == ".csv")
        {
            TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.Csv)).ShouldBe([1, 3, 4, 5]);
            var failure = log.Failures.ShouldHaveSingleItem();
            failure.Sequence.ShouldBe(2);
            failure.Kind.ShouldBe(ItemFeed.ExporterError);
        }
        else
        {
            File.ReadAllLines(path).Length.ShouldBe(5);
            log.Failures.ShouldBeEmpty();
        }

        log.Checkpoint(path).ShouldBe(new ExportCheckpoint(5, new FileInfo(path).Length) { Items = extension == ".csv" ? 4 : 5 });
    }

    [Fact]
    public async Task AFailedItemInAJob_IsCountedInItsStatus_AndNeverExportedLater()
    {
        var jobDir = _dir.File("job");
        await using (var store = await JobStore.OpenAsync(jobDir, new JobStoreOptions { SpiderName = "s" }, CancellationToken.None))
        {
            await store.Frontier.AddAsync([.. Enumerable.Range(1, 5).Select(n => new Trawl.Http.Request($"http://example.com/{n}"))], CancellationToken.None);
            var leases = await store.Frontier.TryLeaseAsync(5, CancellationToken.None);
            await store.Frontier.CompleteAsync(
                [.. leases.Select(lease => Completion.Done(lease, 200, [], [JsonSerializer.SerializeToUtf8Bytes(TestItems.Numbered(lease.EntryId))]))],
                CancellationToken.None);

            var first = _dir.File("first.jsonl");
            await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = first, ItemLog = store.Frontier, Pipelines = { new ThrowsOnBatchWith(3) } }, CancellationToken.None))
            {
                await feed.CompleteAsync(finished: true, CancellationToken.None);
                feed.Failed.ShouldBe(1);
            }

            TestItems.Numbers(ExportedFile.ReadItems(first, ItemFormat.JsonLines)).ShouldBe([1, 2, 4, 5]);

            // A new output replays the whole item log, this time with no pipeline that could fail: item 3 stays out.
            var second = _dir.File("second.jsonl");
            await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = second, ItemLog = store.Frontier }, CancellationToken.None))
            {
                await feed.CompleteAsync(finished: true, CancellationToken.None);
            }

            TestItems.Numbers(ExportedFile.ReadItems(second, ItemFormat.JsonLines)).ShouldBe([1, 2, 4, 5]);
        }

        var status = (await JobStore.ReadStatusAsync(jobDir))!;
        status.Items.ShouldBe(5);
        status.ItemsFailed.ShouldBe(1);
        var error = status.TopItemErrors.ShouldHaveSingleItem();
        error.Kind.ShouldBe(ItemFeed.PipelineError);
        error.Message.ShouldContain("item 3");
    }

    /// <summary>
    /// Throws on any batch holding item <paramref name="bad"/>, as a pipeline inserting a batch at once would; with
    /// <paramref name="stampFirst"/> it first counts a stamp on every item, so a stamp of 2 shows an item changed twice.
    /// </summary>
    private sealed class ThrowsOnBatchWith(long bad, bool stampFirst = false) : ItemPipeline
    {
        public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) => new(item);

        public override ValueTask<IReadOnlyList<JsonObject>> ProcessBatchAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
        {
            if (stampFirst)
            {
                foreach (var item in items)
                {
                    item["stamps"] = ((long?)item["stamps"] ?? 0) + 1;
                }
            }

            return items.Any(item => (long)item["n"]! == bad) ? throw new InvalidOperationException($"cannot take item {bad}") : new(items);
        }
    }

    /// <summary>An item log that also records failed items, as a job's does.</summary>
    private sealed class FailureRecordingLog : IItemLog, IItemFailureLog
    {
        private readonly FakeItemLog _log = new();
        private readonly List<ItemFailure> _failures = [];

        public IReadOnlyList<ItemFailure> Failures
        {
            get
            {
                lock (_failures)
                {
                    return [.. _failures];
                }
            }
        }

        public ExportCheckpoint Checkpoint(string output) => _log.Checkpoint(output);

        public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken) =>
            _log.ReadItemsAsync(afterSequence, max, cancellationToken);

        public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken) =>
            _log.GetExportCheckpointAsync(output, cancellationToken);

        public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken) =>
            _log.SetExportCheckpointAsync(output, checkpoint, cancellationToken);

        public ValueTask RecordItemFailuresAsync(IReadOnlyList<ItemFailure> failures, CancellationToken cancellationToken)
        {
            lock (_failures)
            {
                _failures.AddRange(failures);
            }

            return ValueTask.CompletedTask;
        }
    }
}
