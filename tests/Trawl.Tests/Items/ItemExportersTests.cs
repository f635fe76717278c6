using System.Text;
using System.Text.Json.Nodes;
using Trawl.Items;
using Trawl.Tests.Support;

namespace Trawl.Tests.Items;

public sealed class ItemExportersTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public static TheoryData<string> Extensions => [".jsonl", ".json", ".csv"];

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("out.jsonl", ItemFormat.JsonLines)]
    [InlineData("out.ndjson", ItemFormat.JsonLines)]
    [InlineData("dir/OUT.JSONL", ItemFormat.JsonLines)]
    [InlineData("out.json", ItemFormat.Json)]
    [InlineData("out.csv", ItemFormat.Csv)]
    [InlineData("out.Csv", ItemFormat.Csv)]
    public void FormatOf_KnownExtension_NamesFormat(string path, ItemFormat expected) =>
        ItemExporters.FormatOf(path).ShouldBe(expected);

    [Theory]
    [InlineData("out.txt")]
    [InlineData("out")]
    [InlineData("out.json.gz")]
    public void FormatOf_UnknownExtension_ThrowsNamingSupportedOnes(string path)
    {
        var ex = Should.Throw<ArgumentException>(() => ItemExporters.FormatOf(path));
        ex.Message.ShouldContain(".jsonl");
        ex.Message.ShouldContain(".ndjson");
        ex.Message.ShouldContain(".json ");
        ex.Message.ShouldContain(".csv");
        ex.Message.ShouldContain(path);
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task Write_TrickyItems_RoundTrip(string extension)
    {
        var path = _dir.File("items" + extension);
        var format = ExportedFile.FormatFor(extension);
        JsonObject[] items =
        [
            new() { ["id"] = 1, ["text"] = "plain", ["price"] = 9.5, ["ok"] = true, ["tags"] = new JsonArray("a", "b"), ["none"] = null },
            new() { ["id"] = 2, ["text"] = "comma, \"quoted\"\nand a newline\r\nand CRLF", ["price"] = -1e-3, ["ok"] = false, ["tags"] = new JsonArray(), ["none"] = "x" },
            new() { ["id"] = 3, ["text"] = "ünïcödé 東京 🎉 <tag> & 'apos'", ["price"] = 0, ["ok"] = null, ["tags"] = new JsonObject { ["k"] = "v,\"w\"" }, ["none"] = null },
        ];

        await using (var exporter = ItemExporters.Create(path, format, resumeAt: null))
        {
            await exporter.WriteAsync(items, CancellationToken.None);
            exporter.Position.ShouldBe(new FileInfo(path).Length);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        var read = ExportedFile.ReadItems(path, format);
        read.Count.ShouldBe(3);
        if (format == ItemFormat.Csv)
        {
            // CSV keeps text: strings plainly, numbers and booleans as JSON text, null empty, nested values as compact JSON.
            string[] columns = ["id", "text", "price", "ok", "tags", "none"];
            read[0].Select(p => p.Key).ShouldBe(columns);
            for (var i = 0; i < items.Length; i++)
            {
                read[i]["text"]!.GetValue<string>().ShouldBe(items[i]["text"]!.GetValue<string>());
            }

            read[0]["price"]!.GetValue<string>().ShouldBe("9.5");
            read[0]["ok"]!.GetValue<string>().ShouldBe("true");
            read[1]["ok"]!.GetValue<string>().ShouldBe("false");
            read[2]["ok"]!.GetValue<string>().ShouldBe(string.Empty);
            read[0]["tags"]!.GetValue<string>().ShouldBe("[\"a\",\"b\"]");
            read[2]["tags"]!.GetValue<string>().ShouldBe("{\"k\":\"v,\\\"w\\\"\"}");
            read[0]["none"]!.GetValue<string>().ShouldBe(string.Empty);
        }
        else
        {
            for (var i = 0; i < items.Length; i++)
            {
                JsonNode.DeepEquals(read[i], items[i]).ShouldBeTrue($"item {i}: {read[i].ToJsonString()}");
            }
        }

        // Non-ASCII text is written as UTF-8, not escaped (System.Text.Json still escapes characters outside the BMP).
        ExportedFile.ReadText(path).ShouldContain("ünïcödé 東京");
    }

    [Fact]
    public async Task Write_JsonLines_OneCompactObjectPerLine()
    {
        var path = _dir.File("items.jsonl");
        await using (var exporter = ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null))
        {
            await exporter.WriteAsync([new JsonObject { ["a"] = 1, ["b"] = new JsonArray(1, 2) }, new JsonObject { ["a"] = 2 }], CancellationToken.None);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        ExportedFile.ReadText(path).ShouldBe("{\"a\":1,\"b\":[1,2]}\n{\"a\":2}\n");
    }

    [Fact]
    public async Task Write_Json_ArrayWithItemsOnTheirOwnLines()
    {
        var path = _dir.File("items.json");
        await using (var exporter = ItemExporters.Create(path, ItemFormat.Json, resumeAt: null))
        {
            await exporter.WriteAsync([new JsonObject { ["a"] = 1 }], CancellationToken.None);
            await exporter.WriteAsync([new JsonObject { ["a"] = 2 }], CancellationToken.None);
            var position = exporter.Position;
            await exporter.CompleteAsync(CancellationToken.None);
            exporter.Position.ShouldBe(position, "Position never counts the closing bracket");
        }

        ExportedFile.ReadText(path).ShouldBe("[\n{\"a\":1},\n{\"a\":2}\n]\n");
    }

    [Fact]
    public async Task Complete_JsonWithoutItems_WritesEmptyArray()
    {
        var path = _dir.File("items.json");
        await using (var exporter = ItemExporters.Create(path, ItemFormat.Json, resumeAt: null))
        {
            await exporter.WriteAsync([], CancellationToken.None);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        JsonNode.Parse(ExportedFile.ReadText(path))!.AsArray().Count.ShouldBe(0);
    }

    [Fact]
    public async Task Write_Csv_HeaderFromFirstItem_MissingKeysEmpty_UnknownKeyRefusedNamingIt()
    {
        var path = _dir.File("items.csv");
        await using (var exporter = ItemExporters.Create(path, ItemFormat.Csv, resumeAt: null))
        {
            await exporter.WriteAsync([new JsonObject { ["b"] = "1", ["a"] = "2" }], CancellationToken.None);
            var ex = await Should.ThrowAsync<UnknownColumnException>(async () =>
                await exporter.WriteAsync([new JsonObject { ["a"] = "3" }, new JsonObject { ["a"] = "5", ["extra"] = "x" }], CancellationToken.None));
            ex.Field.ShouldBe("extra");
            ex.Message.ShouldContain(".jsonl");
            await exporter.WriteAsync([new JsonObject { ["a"] = "3" }, new JsonObject { ["b"] = "4" }], CancellationToken.None);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        ExportedFile.ReadText(path).ShouldBe("b,a\n1,2\n,3\n4,\n", "a refused batch leaves nothing behind");
    }

    [Fact]
    public async Task Create_ExistingFileWithoutResume_Overwrites()
    {
        var path = _dir.File("items.jsonl");
        await File.WriteAllTextAsync(path, "old content that is longer than the new\n");
        await using (var exporter = ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null))
        {
            await exporter.WriteAsync([new JsonObject { ["a"] = 1 }], CancellationToken.None);
        }

        ExportedFile.ReadText(path).ShouldBe("{\"a\":1}\n");
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task Resume_AfterTornLine_WritesEachItemOnce(string extension)
    {
        var path = _dir.File("items" + extension);
        var format = ExportedFile.FormatFor(extension);
        long position;
        await using (var exporter = ItemExporters.Create(path, format, resumeAt: null))
        {
            await exporter.WriteAsync([.. Enumerable.Range(1, 3).Select(n => TestItems.Numbered(n))], CancellationToken.None);
            position = exporter.Position;

            // A crash mid-write: no complete, half an item on disk.
        }

        await File.AppendAllTextAsync(path, (format == ItemFormat.Json ? ",\n" : string.Empty) + TestItems.TornTail);

        await using (var exporter = ItemExporters.Create(path, format, resumeAt: position))
        {
            exporter.Position.ShouldBe(position);
            await exporter.WriteAsync([TestItems.Numbered(4)], CancellationToken.None);
            await exporter.WriteAsync([TestItems.Numbered(5)], CancellationToken.None);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, format)).ShouldBe([1, 2, 3, 4, 5]);
    }

    [Fact]
    public async Task Resume_CompletedJsonArray_TruncatesClosingBracketAndContinues()
    {
        var path = _dir.File("items.json");
        long position;
        await using (var exporter = ItemExporters.Create(path, ItemFormat.Json, resumeAt: null))
        {
            await exporter.WriteAsync([TestItems.Numbered(1), TestItems.Numbered(2)], CancellationToken.None);
            position = exporter.Position;
            await exporter.CompleteAsync(CancellationToken.None);
        }

        await using (var exporter = ItemExporters.Create(path, ItemFormat.Json, resumeAt: position))
        {
            await exporter.WriteAsync([TestItems.Numbered(3)], CancellationToken.None);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.Json)).ShouldBe([1, 2, 3]);
    }

    [Fact]
    public async Task Resume_Csv_RecoversColumnsFromHeader()
    {
        var path = _dir.File("items.csv");
        long position;
        await using (var exporter = ItemExporters.Create(path, ItemFormat.Csv, resumeAt: null))
        {
            await exporter.WriteAsync([new JsonObject { ["z, \"odd\"\nname"] = "1", ["a"] = "2" }], CancellationToken.None);
            position = exporter.Position;
        }

        await using (var exporter = ItemExporters.Create(path, ItemFormat.Csv, resumeAt: position))
        {
            await exporter.WriteAsync([new JsonObject { ["a"] = "4", ["z, \"odd\"\nname"] = "3" }], CancellationToken.None);
        }

        var records = CsvReader.Parse(ExportedFile.ReadText(path));
        records.Count.ShouldBe(3);
        records[0].ShouldBe(["z, \"odd\"\nname", "a"]);
        records[1].ShouldBe(["1", "2"]);
        records[2].ShouldBe(["3", "4"]);
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task Resume_AtZero_StartsFresh(string extension)
    {
        var path = _dir.File("items" + extension);
        var format = ExportedFile.FormatFor(extension);
        await File.WriteAllTextAsync(path, "garbage\n");
        await using (var exporter = ItemExporters.Create(path, format, resumeAt: 0))
        {
            await exporter.WriteAsync([TestItems.Numbered(1)], CancellationToken.None);
            await exporter.CompleteAsync(CancellationToken.None);
        }

        TestItems.Numbers(ExportedFile.ReadItems(path, format)).ShouldBe([1]);

        var missing = _dir.File("missing" + extension);
        await using (ItemExporters.Create(missing, format, resumeAt: 0))
        {
        }

        File.Exists(missing).ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task Resume_FileShorterThanPosition_ThrowsAndLeavesFile(string extension)
    {
        var path = _dir.File("items" + extension);
        await File.WriteAllTextAsync(path, "short\n");
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ExportedFile.FormatFor(extension), resumeAt: 1000));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("1000");
        ex.OutputPath.ShouldBe(path);
        (await File.ReadAllTextAsync(path)).ShouldBe("short\n");
    }

    [Fact]
    public void Resume_MissingFile_Throws()
    {
        var path = _dir.File("gone.jsonl");
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: 10));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("missing");
        File.Exists(path).ShouldBeFalse();
    }

    [Theory]
    [InlineData(".jsonl", "{\"n\":1}\n{\"n\":2}\n", 10L)]
    [InlineData(".json", "[\n{\"n\":1},\n{\"n\":2}\n]\n", 11L)]
    [InlineData(".json", "{\"n\":1}\n", 8L)]
    [InlineData(".csv", "n\n1\n2\n", 5L)]
    public async Task Resume_PositionNotAtEndOfItem_ThrowsWithoutTruncating(string extension, string content, long position)
    {
        var path = _dir.File("items" + extension);
        await File.WriteAllTextAsync(path, content);
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ExportedFile.FormatFor(extension), resumeAt: position));
        ex.Message.ShouldContain(path);
        (await File.ReadAllTextAsync(path)).ShouldBe(content);
    }

    [Fact]
    public void Create_MissingDirectory_ThrowsNamingPathAndReason()
    {
        var path = _dir.File(Path.Combine("no-such-dir", "items.jsonl"));
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("does not exist");
        ex.ShouldBeAssignableTo<IOException>();
    }

    [Fact]
    public void Create_PathIsDirectory_Throws()
    {
        var path = _dir.File("a-directory.jsonl");
        Directory.CreateDirectory(path);
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("directory");
    }

    [Fact]
    public void Create_ParentIsAFile_Throws()
    {
        var parent = _dir.File("plain-file");
        File.WriteAllText(parent, "x");
        var path = Path.Combine(parent, "items.jsonl");
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("not a directory");
    }

    [Fact]
    public void Create_ReadOnlyFile_ThrowsAndKeepsContent()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = _dir.File("read-only.jsonl");
        File.WriteAllText(path, "keep\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
        ex.Message.ShouldContain(path);
        ex.Message.ShouldContain("read-only");
        File.ReadAllText(path).ShouldBe("keep\n");
    }

    [Theory]
    [InlineData("/proc/version")]
    [InlineData("/proc/trawl-items.jsonl")]
    [InlineData("/sys/trawl-items.jsonl")]
    public void Create_UnwritableSystemLocation_Throws(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var ex = Should.Throw<ItemExportException>(() => ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null));
        ex.Message.ShouldContain(path);
    }

    [Fact]
    public async Task Write_DiskFull_ThrowsItemExportException()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        await using var exporter = ItemExporters.Create("/dev/full", ItemFormat.JsonLines, resumeAt: null);
        var ex = await Should.ThrowAsync<ItemExportException>(async () => await exporter.WriteAsync([TestItems.Numbered(1)], CancellationToken.None));
        ex.Message.ShouldContain("/dev/full");
        exporter.Position.ShouldBe(0);
    }

    [Fact]
    public async Task Write_Cancelled_LeavesFileAtLastPosition()
    {
        var path = _dir.File("items.jsonl");
        await using var exporter = ItemExporters.Create(path, ItemFormat.JsonLines, resumeAt: null);
        await exporter.WriteAsync([TestItems.Numbered(1)], CancellationToken.None);
        var position = exporter.Position;

        // Large enough to span several chunks of the exporter's buffer.
        var many = Enumerable.Range(0, 5000).Select(n => new JsonObject { ["n"] = n, ["pad"] = new string('x', 100) }).ToArray();
        await Should.ThrowAsync<OperationCanceledException>(async () => await exporter.WriteAsync(many, new CancellationToken(canceled: true)));

        exporter.Position.ShouldBe(position);
        new FileInfo(path).Length.ShouldBe(position);
        await exporter.WriteAsync([TestItems.Numbered(2)], CancellationToken.None);
        TestItems.Numbers(ExportedFile.ReadItems(path, ItemFormat.JsonLines)).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task Write_AfterComplete_Throws()
    {
        await using var exporter = ItemExporters.Create(_dir.File("items.json"), ItemFormat.Json, resumeAt: null);
        await exporter.CompleteAsync(CancellationToken.None);
        await exporter.CompleteAsync(CancellationToken.None);
        await Should.ThrowAsync<InvalidOperationException>(async () => await exporter.WriteAsync([TestItems.Numbered(1)], CancellationToken.None));
    }

    [Fact]
    public void CheckWritable_NewFile_LeavesNothingBehind()
    {
        var path = _dir.File("new.jsonl");
        ItemExporters.CheckWritable(path);
        File.Exists(path).ShouldBeFalse();
        Directory.GetFileSystemEntries(_dir.Path).ShouldBeEmpty();
    }

    [Fact]
    public void CheckWritable_ExistingFile_LeavesItUnchanged()
    {
        var path = _dir.File("existing.jsonl");
        File.WriteAllText(path, "{\"n\":1}\n");
        var modified = File.GetLastWriteTimeUtc(path);
        ItemExporters.CheckWritable(path);
        File.ReadAllText(path).ShouldBe("{\"n\":1}\n");
        File.GetLastWriteTimeUtc(path).ShouldBe(modified);
    }

    [Fact]
    public void CheckWritable_Unwritable_ThrowsNamingPath()
    {
        var missingDir = _dir.File(Path.Combine("nope", "items.csv"));
        Should.Throw<ItemExportException>(() => ItemExporters.CheckWritable(missingDir)).Message.ShouldContain(missingDir);

        var directory = _dir.File("dir.csv");
        Directory.CreateDirectory(directory);
        Should.Throw<ItemExportException>(() => ItemExporters.CheckWritable(directory)).Message.ShouldContain("is a directory");

        if (OperatingSystem.IsLinux())
        {
            Should.Throw<ItemExportException>(() => ItemExporters.CheckWritable("/proc/version")).Message.ShouldContain("/proc/version");
            Should.Throw<ItemExportException>(() => ItemExporters.CheckWritable("/sys/trawl-items.csv")).Message.ShouldContain("/sys/trawl-items.csv");
        }
    }

    [Theory]
    [MemberData(nameof(Extensions))]
    public async Task ItemList_SaveAsync_WritesEveryItem(string extension)
    {
        var list = new ItemList(10);
        list.Add(TestItems.Numbered(1));
        list.Add(TestItems.Numbered(2));
        var path = _dir.File("saved" + extension);
        await list.SaveAsync(path);
        TestItems.Numbers(ExportedFile.ReadItems(path, ExportedFile.FormatFor(extension))).ShouldBe([1, 2]);
    }

    [Fact]
    public void ItemList_BeyondCapacity_KeepsFirstItemsAndIsTruncated()
    {
        var list = new ItemList(2);
        list.Truncated.ShouldBeFalse();
        for (var n = 1; n <= 3; n++)
        {
            list.Add(TestItems.Numbered(n));
        }

        list.Count.ShouldBe(2);
        list.Truncated.ShouldBeTrue();
        TestItems.Numbers(list).ShouldBe([1, 2]);
    }
}
