using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Frontier;
using Trawl.Items;
using Trawl.Tests.Support;

namespace Trawl.Tests.Items;

public sealed class ItemFeedTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Extensions => [".jsonl", ".json", ".csv"];

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task NoOutput_KeepsItemsInResult()
    {
        var feed = await ItemFeed.StartAsync(new ItemFeedOptions(), CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 3), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(feed.Items).ShouldBe([1, 2, 3]);
        feed.Items.Truncated.ShouldBeFalse();
        feed.Exported.ShouldBe(3);
        feed.Dropped.ShouldBe(0);
        feed.LastSequence.ShouldBe(3);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task NoOutput_BeyondMaxResultItems_KeepsFirstAndIsTruncated()
    {
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { MaxResultItems = 3 }, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 5), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(feed.Items).ShouldBe([1, 2, 3]);
        feed.Items.Truncated.ShouldBeTrue();
        feed.Exported.ShouldBe(3);
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task Output_WritesItemsAndLeavesResultEmpty(string extension)
    {
        var path = _dir.File("out" + extension);
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path }, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 4), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(ExportedFile.ReadItems(path, ExportedFile.FormatFor(extension))).ShouldBe([1, 2, 3, 4]);
        feed.Items.Count.ShouldBe(0);
        feed.Exported.ShouldBe(4);
    }

    [Fact]
    public async Task Pipelines_TransformAndDrop_RunInOrderAndOpenCloseOnce()
    {
        var recorder = new RecordingPipeline();
        var options = new ItemFeedOptions
        {
            Pipelines =
            {
                new DelegatePipeline(item => (long)item["n"]! % 2 == 0 ? null : item),
                new DelegatePipeline(item =>
                {
                    item["doubled"] = (long)item["n"]! * 2;
                    return item;
                }),
                recorder,
            },
        };

        await using var feed = await ItemFeed.StartAsync(options, CancellationToken.None);
        recorder.Opened.ShouldBe(1);
        await feed.WriteAsync(TestItems.Range(1, 5), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(feed.Items).ShouldBe([1, 3, 5]);
        feed.Items.Select(item => (long)item["doubled"]!).ShouldBe([2, 6, 10]);
        feed.Exported.ShouldBe(3);
        feed.Dropped.ShouldBe(2);
        feed.DroppedByError.ShouldBe(0);
        recorder.Batches.Sum().ShouldBe(3);
        recorder.Closed.ShouldBe(1);
    }

    [Fact]
    public async Task Pipelines_BatchOverride_SeesItemsThatArrivedTogether()
    {
        var gate = new GatePipeline();
        var recorder = new RecordingPipeline();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Pipelines = { gate, recorder } }, CancellationToken.None);

        await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);
        await gate.Entered.WaitAsync(Generous);

        // While the first batch is held, the rest pile up and are taken as one batch.
        await feed.WriteAsync(TestItems.Range(2, 10), CancellationToken.None);
        gate.Release();
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        recorder.Batches.ShouldBe([1, 9]);
        TestItems.Numbers(feed.Items).ShouldBe([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }

    [Fact]
    public async Task Pipelines_StageThrows_FailsThatItemAndCarriesOn()
    {
        var after = new RecordingPipeline();
        var options = new ItemFeedOptions
        {
            BatchSize = 1,
            Pipelines =
            {
                new DelegatePipeline(item => (long)item["n"]! == 3 ? throw new InvalidOperationException("bad item") : item),
                after,
            },
        };

        await using var feed = await ItemFeed.StartAsync(options, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 5), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(feed.Items).ShouldBe([1, 2, 4, 5]);
        feed.Failed.ShouldBe(1);
        feed.FailuresByKind.ShouldBe(new Dictionary<string, long> { [ItemFeed.PipelineError] = 1 });
        feed.Dropped.ShouldBe(0);
        feed.DroppedByError.ShouldBe(0);
        feed.Fault.ShouldBeNull();
        after.Batches.ShouldBe([1, 1, 1, 1]);
    }

    [Fact]
    public async Task Items_NotJsonObjects_AreDroppedWithError()
    {
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions(), CancellationToken.None);
        await feed.WriteAsync([TestItems.Committed(1), new CommittedItem(2, "[1,2]"u8.ToArray()), new CommittedItem(3, "{not json"u8.ToArray()), TestItems.Committed(4)], CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);

        TestItems.Numbers(feed.Items).ShouldBe([1, 4]);
        feed.Dropped.ShouldBe(2);
        feed.DroppedByError.ShouldBe(2);
    }

    [Fact]
    public async Task WriteAsync_BufferFull_WaitsUntilConsumerCatchesUp()
    {
        var gate = new GatePipeline();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { BufferSize = 4, Pipelines = { gate } }, CancellationToken.None);

        await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);
        await gate.Entered.WaitAsync(Generous);

        Task sixth;
        try
        {
            // The consumer holds item 1; the buffer takes four more.
            for (var n = 2; n <= 5; n++)
            {
                feed.WriteAsync([TestItems.Committed(n)], CancellationToken.None).IsCompleted.ShouldBeTrue($"item {n} fits in the buffer");
            }

            sixth = feed.WriteAsync([TestItems.Committed(6)], CancellationToken.None).AsTask();
            sixth.IsCompleted.ShouldBeFalse("the buffer is full");
        }
        finally
        {
            gate.Release();
        }

        await sixth.WaitAsync(Generous);
        await feed.CompleteAsync(finished: true, CancellationToken.None);
        TestItems.Numbers(feed.Items).ShouldBe([1, 2, 3, 4, 5, 6]);
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task Resume_FromCheckpoint_ReplaysLogAndWritesEachItemOnce(string extension)
    {
        var path = _dir.File("out" + extension);
        var format = ExportedFile.FormatFor(extension);
        var log = new FakeItemLog();
        log.Commit(TestItems.Range(1, 10));

        // An earlier run wrote items 1..4 and recorded that, then crashed while writing item 5.
        await using (var earlier = ItemExporters.Create(path, format, resumeAt: null))
        {
            await earlier.WriteAsync([.. Enumerable.Range(1, 4).Select(n => TestItems.Numbered(n))], CancellationToken.None);
            log.SetCheckpoint(path, new ExportCheckpoint(4, earlier.Position));
        }

        await File.AppendAllTextAsync(path, (format == ItemFormat.Json ? ",\n" : string.Empty) + TestItems.TornTail);

        await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log, ReplayPageSize = 4 }, CancellationToken.None))
        {
            feed.Replayed.ShouldBe(6);
            feed.LastSequence.ShouldBe(10);

            // The engine may hand over items replay already covered; they are skipped.
            await feed.WriteAsync(TestItems.Range(8, 12), CancellationToken.None);
            await feed.CompleteAsync(finished: true, CancellationToken.None);
            feed.Exported.ShouldBe(8);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, format)).ShouldBe([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        var checkpoint = log.Checkpoint(path);
        checkpoint.Sequence.ShouldBe(12);
        if (format != ItemFormat.Json)
        {
            checkpoint.Position.ShouldBe(new FileInfo(path).Length);
        }
        else
        {
            checkpoint.Position.ShouldBe(new FileInfo(path).Length - "\n]\n".Length, "the checkpoint is before the closing bracket");
        }
    }

    [Fact]
    public async Task Resume_FinishedJsonThenContinued_StaysOneValidArray()
    {
        var path = _dir.File("out.json");
        var log = new FakeItemLog();
        log.Commit(TestItems.Range(1, 3));
        await using (var first = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, CancellationToken.None))
        {
            await first.CompleteAsync(finished: true, CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.Json)).ShouldBe([1, 2, 3]);

        log.Commit(TestItems.Range(4, 5));
        await using (var second = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, CancellationToken.None))
        {
            await second.WriteAsync(TestItems.Range(6, 6), CancellationToken.None);
            await second.CompleteAsync(finished: true, CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.Json)).ShouldBe([1, 2, 3, 4, 5, 6]);
    }

    [Fact]
    public async Task Dispose_WithoutComplete_ClosesJsonArray_AndAResumeReopensIt()
    {
        var path = _dir.File("out.json");
        var log = new FakeItemLog();
        await using (var paused = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, CancellationToken.None))
        {
            await paused.WriteAsync(TestItems.Range(1, 2), CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.Json)).ShouldBe([1, 2], "a paused array is valid JSON");
        log.Checkpoint(path).Sequence.ShouldBe(2);
        log.Checkpoint(path).Position.ShouldBeLessThan(new FileInfo(path).Length, "the closing bracket is not counted");

        await using (var resumed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, CancellationToken.None))
        {
            await resumed.WriteAsync(TestItems.Range(3, 3), CancellationToken.None);
            await resumed.CompleteAsync(finished: true, CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.Json)).ShouldBe([1, 2, 3]);
    }

    [Fact]
    public async Task Checkpoint_AdvancesForItemsPipelinesDropped()
    {
        var path = _dir.File("out.jsonl");
        var log = new FakeItemLog();
        var options = new ItemFeedOptions { Output = path, ItemLog = log, Pipelines = { new DelegatePipeline(item => (long)item["n"]! > 2 ? null : item) } };
        await using (var feed = await ItemFeed.StartAsync(options, CancellationToken.None))
        {
            await feed.WriteAsync(TestItems.Range(1, 5), CancellationToken.None);
            await feed.CompleteAsync(finished: true, CancellationToken.None);
            feed.Dropped.ShouldBe(3);
        }

        log.Checkpoint(path).ShouldBe(new ExportCheckpoint(5, new FileInfo(path).Length) { Items = 2 });
    }

    [Fact]
    public async Task Output_WithoutItemLog_IsAppendedTo()
    {
        var path = _dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"n\":99}\n");
        await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path }, CancellationToken.None))
        {
            await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);
            await feed.CompleteAsync(finished: true, CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.JsonLines)).ShouldBe([99, 1]);
    }

    [Fact]
    public async Task Output_Overwrite_IsWrittenAfresh()
    {
        var path = _dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"n\":99}\n");
        await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, Overwrite = true }, CancellationToken.None))
        {
            await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);
            await feed.CompleteAsync(finished: true, CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.JsonLines)).ShouldBe([1]);
    }

    [Fact]
    public async Task Start_UnwritableOutput_ThrowsItemExportException()
    {
        var path = _dir.File(Path.Combine("missing", "out.jsonl"));
        var ex = await Should.ThrowAsync<ItemExportException>(async () => await ItemFeed.StartAsync(new ItemFeedOptions { Output = path }, CancellationToken.None));
        ex.Message.ShouldContain(path);
    }

    [Fact]
    public async Task Start_CheckpointBeyondLostFile_ThrowsAndClosesOpenedPipelines()
    {
        var path = _dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"n\":1}\n");
        var log = new FakeItemLog();
        log.SetCheckpoint(path, new ExportCheckpoint(7, 5000));
        var recorder = new RecordingPipeline();

        var ex = await Should.ThrowAsync<ItemExportException>(async () =>
            await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log, Pipelines = { recorder } }, CancellationToken.None));
        ex.Message.ShouldContain(path);
        recorder.Opened.ShouldBe(0, "the output is opened before the pipelines");
    }

    [Fact]
    public async Task ExportFailure_FaultsFeed_AndWritesThrowIt()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = "/dev/full", Format = ItemFormat.JsonLines }, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);

        var ex = await Should.ThrowAsync<ItemExportException>(async () => await feed.CompleteAsync(finished: true, CancellationToken.None));
        ex.Message.ShouldContain("/dev/full");
        feed.Fault.ShouldBeSameAs(ex);
        (await Should.ThrowAsync<ItemExportException>(async () => await feed.WriteAsync(TestItems.Range(2, 2), CancellationToken.None))).ShouldBeSameAs(ex);
        feed.Exported.ShouldBe(0);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task CheckpointFailure_FaultsFeed_AndWakesBlockedWriters()
    {
        var path = _dir.File("out.jsonl");
        var log = new FakeItemLog();
        var gate = new GatePipeline();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log, BufferSize = 1, Pipelines = { gate } }, CancellationToken.None);

        await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);
        await gate.Entered.WaitAsync(Generous);
        await feed.WriteAsync(TestItems.Range(2, 2), CancellationToken.None);
        var blocked = feed.WriteAsync(TestItems.Range(3, 3), CancellationToken.None).AsTask();
        blocked.IsCompleted.ShouldBeFalse();

        log.FailCheckpoints = new InvalidOperationException("database is locked");
        gate.Release();

        var ex = await Should.ThrowAsync<ItemExportException>(() => blocked.WaitAsync(Generous));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("database is locked");
        feed.Fault.ShouldBeSameAs(ex);
        await Should.ThrowAsync<ItemExportException>(async () => await feed.CompleteAsync(finished: true, CancellationToken.None));
    }

    [Fact]
    public async Task Complete_IsIdempotent_AndWriteAfterCompleteThrows()
    {
        var recorder = new RecordingPipeline();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Pipelines = { recorder } }, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 2), CancellationToken.None);
        await feed.CompleteAsync(finished: true, CancellationToken.None);
        await feed.CompleteAsync(finished: false, CancellationToken.None);
        recorder.Closed.ShouldBe(1);
        await Should.ThrowAsync<InvalidOperationException>(async () => await feed.WriteAsync(TestItems.Range(3, 3), CancellationToken.None));
        TestItems.Numbers(feed.Items).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task Complete_Cancelled_StopsWithoutWritingBufferedItems()
    {
        var path = _dir.File("out.jsonl");
        var log = new FakeItemLog();
        var gate = new GatePipeline();
        await using var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log, Pipelines = { gate } }, CancellationToken.None);
        await feed.WriteAsync(TestItems.Range(1, 1), CancellationToken.None);
        await gate.Entered.WaitAsync(Generous);
        await feed.WriteAsync(TestItems.Range(2, 3), CancellationToken.None);

        await Should.ThrowAsync<OperationCanceledException>(async () => await feed.CompleteAsync(finished: true, new CancellationToken(canceled: true)));

        new FileInfo(path).Length.ShouldBe(0);
        log.Checkpoint(path).ShouldBe(new ExportCheckpoint(0, 0) { Items = 0 }, "only where the writing began is recorded");
    }

    [Fact]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        Should.Throw<ArgumentException>(() => new ItemFeedOptions { BufferSize = 0 }.Validate()).ParamName.ShouldBe("BufferSize");
        Should.Throw<ArgumentException>(() => new ItemFeedOptions { Output = "out.txt" }.Validate()).Message.ShouldContain(".jsonl");
    }
}
