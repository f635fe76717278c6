using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trawl.Frontier;
using Trawl.Items;

namespace Trawl.Tests.Items;

/// <summary>Reads back what the exporters wrote, independently of the exporters' own code.</summary>
internal static class ExportedFile
{
    /// <summary>The items in a file of any format, as JSON objects (CSV fields come back as strings).</summary>
    public static List<JsonObject> ReadItems(string path, ItemFormat format)
    {
        var text = ReadText(path);
        switch (format)
        {
            case ItemFormat.JsonLines:
                text.ShouldEndWith("\n");
                return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];
            case ItemFormat.Json:
                return [.. JsonNode.Parse(text)!.AsArray().Select(node => node!.AsObject())];
            default:
                var records = CsvReader.Parse(text);
                var header = records[0];
                return
                [
                    .. records.Skip(1).Select(record =>
                    {
                        record.Length.ShouldBe(header.Length);
                        var item = new JsonObject();
                        for (var i = 0; i < header.Length; i++)
                        {
                            item[header[i]] = record[i];
                        }

                        return item;
                    }),
                ];
        }
    }

    /// <summary>The file as UTF-8, checking there is no BOM and no CR line ending.</summary>
    public static string ReadText(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }).ShouldBeFalse("the file must not start with a BOM");
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
    }

    public static ItemFormat FormatFor(string extension) => ItemExporters.FormatOf("x" + extension);
}

/// <summary>A tiny RFC 4180 reader for the tests: quoted fields may hold commas, quotes and newlines.</summary>
internal static class CsvReader
{
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i++];
            if (quoted)
            {
                if (c == '"' && i < text.Length && text[i] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                field.Length.ShouldBe(0, "a quote may only open a field");
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add([.. fields]);
                fields.Clear();
            }
            else
            {
                c.ShouldNotBe('\r', "line endings must be LF, and CR in a field must be quoted");
                field.Append(c);
            }
        }

        quoted.ShouldBeFalse("the file ends inside a quoted field");
        (field.Length + fields.Count).ShouldBe(0, "the last record must end with a newline");
        return records;
    }
}

/// <summary>An in-memory item log, like a durable frontier's.</summary>
internal sealed class FakeItemLog : IItemLog
{
    private readonly Lock _gate = new();
    private readonly List<CommittedItem> _items = [];
    private readonly Dictionary<string, ExportCheckpoint> _checkpoints = new(StringComparer.Ordinal);

    public Exception? FailCheckpoints { get; set; }

    public int Reads { get; private set; }

    public void Commit(params IEnumerable<CommittedItem> items)
    {
        lock (_gate)
        {
            _items.AddRange(items);
        }
    }

    public ExportCheckpoint Checkpoint(string output)
    {
        lock (_gate)
        {
            return _checkpoints.GetValueOrDefault(Path.GetFullPath(output));
        }
    }

    public void SetCheckpoint(string output, ExportCheckpoint checkpoint)
    {
        lock (_gate)
        {
            _checkpoints[Path.GetFullPath(output)] = checkpoint;
        }
    }

    public ValueTask<IReadOnlyList<CommittedItem>> ReadItemsAsync(long afterSequence, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Reads++;
            IReadOnlyList<CommittedItem> page = [.. _items.Where(item => item.Sequence > afterSequence).OrderBy(item => item.Sequence).Take(max)];
            return ValueTask.FromResult(page);
        }
    }

    public ValueTask<ExportCheckpoint> GetExportCheckpointAsync(string output, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_checkpoints.GetValueOrDefault(output));
        }
    }

    public ValueTask SetExportCheckpointAsync(string output, ExportCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        if (FailCheckpoints is { } failure)
        {
            return ValueTask.FromException(failure);
        }

        Path.IsPathFullyQualified(output).ShouldBeTrue("the output key is the full path");
        lock (_gate)
        {
            _checkpoints[output] = checkpoint;
        }

        return ValueTask.CompletedTask;
    }
}

internal static class TestItems
{
    /// <summary>Half an item left by a crash; longer than the items written after it, so only truncation removes it.</summary>
    public static readonly string TornTail = "{\"n\":4,\"name\":\"" + new string('x', 400);

    public static JsonObject Numbered(long n) => new() { ["n"] = n, ["name"] = $"item {n}" };

    public static CommittedItem Committed(long sequence, JsonObject? item = null) =>
        new(sequence, JsonSerializer.SerializeToUtf8Bytes(item ?? Numbered(sequence)));

    public static CommittedItem[] Range(long from, long to) => [.. Enumerable.Range((int)from, (int)(to - from + 1)).Select(n => Committed(n))];

    public static long[] Numbers(IEnumerable<JsonObject> items) => [.. items.Select(item => long.Parse(item["n"]!.ToString(), System.Globalization.CultureInfo.InvariantCulture))];
}

/// <summary>Passes items on, but holds the first batch until released.</summary>
internal sealed class GatePipeline : ItemPipeline
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _batches;

    public Task Entered => _entered.Task;

    public void Release() => _release.TrySetResult();

    public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) => ValueTask.FromResult<JsonObject?>(item);

    public override async ValueTask<IReadOnlyList<JsonObject>> ProcessBatchAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _batches) == 1)
        {
            _entered.TrySetResult();
            // Bounded, so a broken feed fails its test instead of hanging it.
            await _release.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        return items;
    }
}

/// <summary>Records the batches it sees and passes them on.</summary>
internal sealed class RecordingPipeline : ItemPipeline
{
    public List<int> Batches { get; } = [];

    public int Opened { get; private set; }

    public int Closed { get; private set; }

    public override ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        Opened++;
        return ValueTask.CompletedTask;
    }

    public override ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        Closed++;
        return ValueTask.CompletedTask;
    }

    public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) => ValueTask.FromResult<JsonObject?>(item);

    public override ValueTask<IReadOnlyList<JsonObject>> ProcessBatchAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken)
    {
        Batches.Add(items.Count);
        return ValueTask.FromResult(items);
    }
}

/// <summary>A pipeline from a delegate.</summary>
internal sealed class DelegatePipeline(Func<JsonObject, JsonObject?> process) : ItemPipeline
{
    public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) => ValueTask.FromResult(process(item));
}
