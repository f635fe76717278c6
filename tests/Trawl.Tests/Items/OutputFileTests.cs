using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Items;
using Trawl.Tests.Support;

namespace Trawl.Tests.Items;

/// <summary>
/// An output file belongs to one writer, and a finished one is checked against what was written to it: the item
/// counts that check relies on, the claim in this process, the lock against other processes, and the check itself.
/// </summary>
public sealed class OutputFileTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Extensions => [".jsonl", ".json", ".csv"];

    public void Dispose() => _dir.Dispose();

    // Values that a naive count would trip on: quotes, commas and line breaks (quoted in CSV, escaped in JSON), braces.
    private static JsonObject Tricky(int n) => new()
    {
        ["n"] = n,
        ["text"] = n % 2 == 0 ? "line one\nline two, \"quoted\"" : "{not an item}\r\n{",
        ["nested"] = new JsonObject { ["a"] = new JsonArray(1, 2) },
    };

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task CountItems_IsWhatTheExporterWrote_FromTheStart_AndFromARecordedPosition(string extension)
    {
        var path = _dir.File("out" + extension);
        var format = ItemExporters.FormatOf(path);
        long position;
        await using (var exporter = ItemExporters.Create(path, format, resumeAt: null))
        {
            await exporter.WriteAsync([Tricky(1), Tricky(2), Tricky(3)], None);
            position = exporter.Position;
            await exporter.WriteAsync([Tricky(4), Tricky(5)], None);
            await exporter.CompleteAsync(None);
        }

        OutputItems.CountAfter(path, format, 0).ShouldBe(5);
        OutputItems.CountAfter(path, format, position).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task CountItems_ATornLastItem_DoesNotCount(string extension)
    {
        var path = _dir.File("out" + extension);
        var format = ItemExporters.FormatOf(path);
        await using (var exporter = ItemExporters.Create(path, format, resumeAt: null))
        {
            await exporter.WriteAsync([Tricky(1), Tricky(2), Tricky(3)], None);
        }

        var torn = format switch
        {
            ItemFormat.JsonLines => "{\"n\":4,\"text\":\"cut",
            ItemFormat.Json => ",\n{\"n\":4,\"text\":\"cut",
            _ => "4,\"cut\n",
        };
        await File.AppendAllTextAsync(path, torn);

        OutputItems.CountAfter(path, format, 0).ShouldBe(3);
    }

    [Fact]
    public async Task SecondWriter_InThisProcess_IsRefused_NamingTheFile_AndTheFirstFileIsUntouched()
    {
        var path = _dir.File("out.jsonl");
        var first = ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null);
        await first.WriteAsync([TestItems.Numbered(1), TestItems.Numbered(2)], None);

        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("another crawl in this process is writing it");
        Should.Throw<ItemExportException>(() => ItemExporters.CheckWritable(path)).Message.ShouldContain("is writing it");
        (await File.ReadAllLinesAsync(path)).Length.ShouldBe(2);

        await first.DisposeAsync();
        await using var second = ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null);
        (await File.ReadAllTextAsync(path)).ShouldBeEmpty();
    }

    [Fact]
    public async Task FileLockedByAnotherProcess_IsRefused_BeforeAnythingIsCut()
    {
        OperatingSystem.IsLinux().ShouldBeTrue("the lock is Linux's fcntl record lock");
        var path = _dir.File("out.jsonl");
        await File.WriteAllTextAsync(path, "{\"n\":1}\n{\"n\":2}\n");

        // Another process holding a POSIX write lock on the file, as a trawl run writing it does.
        using var holder = Process.Start(new ProcessStartInfo("python3", ["-c",
            "import fcntl, sys, time\nf = open(sys.argv[1], 'a')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(600)", path])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            (await holder.StandardOutput.ReadLineAsync(None)).ShouldBe("locked");

            var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
            ex.Message.ShouldContain(path);
            ex.Message.ShouldContain($"another trawl run (pid {holder.Id}) is writing it");
            Should.Throw<ItemExportException>(() => ItemExporters.CheckWritable(path)).Message.ShouldContain($"pid {holder.Id}");
            (await File.ReadAllTextAsync(path)).ShouldBe("{\"n\":1}\n{\"n\":2}\n", "the file is cut only once it is this writer's");
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync(None);
        }

        await using var exporter = ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null);
    }

    [Theory]
    [InlineData("deleted", "the file is gone")]
    [InlineData("appended", "bytes, but this crawl wrote")]
    [InlineData("joined", "holds 2 items, but 3 were written")]
    public async Task FinishedOutput_ThatChangedBehindTheCrawl_FailsItsCheck(string change, string expected)
    {
        var path = _dir.File("out.jsonl");
        var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path }, None);
        await feed.WriteAsync(TestItems.Range(1, 3), None);
        await Waiting.UntilAsync(() => feed.Exported == 3, TimeSpan.FromMinutes(1), "the items to be written");

        switch (change)
        {
            case "deleted":
                File.Delete(path);
                break;
            case "appended":
                await File.AppendAllTextAsync(path, "{\"n\":99}\n");
                break;
            default:
                // Same length, one line fewer: two items run together.
                var text = await File.ReadAllTextAsync(path);
                var first = text.IndexOf('\n', StringComparison.Ordinal);
                await File.WriteAllTextAsync(path, string.Concat(text.AsSpan(0, first), " ", text.AsSpan(first + 1)), new UTF8Encoding(false));
                break;
        }

        var ex = await Should.ThrowAsync<ItemExportException>(async () => await feed.CompleteAsync(finished: true, None));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("is not as this crawl wrote it");
        ex.Message.ShouldContain(expected);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task FinishedOutput_AsWritten_PassesItsCheck_AcrossAResume_WithItsCountRecordedOrCounted()
    {
        var path = _dir.File("out.json");
        var log = new FakeItemLog();
        await using (var feed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, None))
        {
            await feed.WriteAsync(TestItems.Range(1, 4), None);
            await feed.CompleteAsync(finished: false, None);
        }

        log.Checkpoint(path).Items.ShouldBe(4);

        // An item log that does not record the count (Redis, a job from before): the resumed feed counts the file.
        log.SetCheckpoint(path, log.Checkpoint(path) with { Items = null });
        await using (var resumed = await ItemFeed.StartAsync(new ItemFeedOptions { Output = path, ItemLog = log }, None))
        {
            await resumed.WriteAsync(TestItems.Range(5, 6), None);
            await resumed.CompleteAsync(finished: true, None);
        }

        log.Checkpoint(path).Items.ShouldBe(6);
        JsonNode.Parse(await File.ReadAllTextAsync(path))!.AsArray().Count.ShouldBe(6);
    }
}

/// <summary>Two crawls in one process aimed at the same output: the second is refused, and leaves its job free.</summary>
public sealed class SharedOutputCrawlTests
{
    [Fact]
    public async Task SecondCrawl_OnTheSameOutput_IsRefused_AndItsJobIsLeftUnlocked()
    {
        await using var site = await TestSites.StartAsync(pages: 5);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");
        using var pause = new CancellationTokenSource();
        var first = new Trawl.Tests.Politeness.RequestsSpider(new Trawl.Http.Request(new Uri(site.BaseUrl, "/pages/0")), new Trawl.Http.Request(new Uri(site.BaseUrl, "/trap/hang")))
            .RunAsync(new Trawl.Crawling.CrawlOptions { HandleSignals = false, JobDir = temp.File("first"), Output = output }, pause.Token);
        try
        {
            await Waiting.UntilAsync(() => File.Exists(output) && File.ReadAllLines(output).Length == 1 || first.IsCompleted, TimeSpan.FromMinutes(2), "the first crawl's item");
            first.IsCompleted.ShouldBeFalse();

            var second = new Trawl.Tests.Politeness.RequestsSpider(new Trawl.Http.Request(new Uri(site.BaseUrl, "/pages/1")));
            var ex = await Should.ThrowAsync<ItemExportException>(() => second.RunAsync(new Trawl.Crawling.CrawlOptions { HandleSignals = false, JobDir = temp.File("second"), Output = output }));

            ex.Message.ShouldContain(output);
            ex.Message.ShouldContain("another crawl in this process is writing it");
            ex.Message.ShouldContain(temp.File("first"), Case.Sensitive, "the message names the job writing it");
            await using var job = await Trawl.Jobs.JobStore.OpenAsync(temp.File("second"), new Trawl.Jobs.JobStoreOptions(), CancellationToken.None);
            site.FetchCount("/pages/1").ShouldBe(0);
        }
        finally
        {
            await pause.CancelAsync();
            (await first).Paused.ShouldBeTrue();
        }

        File.ReadAllLines(output).ShouldHaveSingleItem().ShouldContain("/pages/0");
    }
}
