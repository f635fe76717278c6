using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Trawl.Items;

namespace Trawl.Benchmarks;

/// <summary>Item serialization (as the engine does it) and export of a batch of 100 items.</summary>
[MemoryDiagnoser]
public class ItemBenchmarks
{
    private readonly List<JsonObject> _batch = [.. Enumerable.Range(0, 100).Select(i => new JsonObject { ["url"] = $"http://127.0.0.1:8080/pages/{i}", ["title"] = $"Page {i}", ["tags"] = new JsonArray("a", "b") })];
    private string _path = null!;

    [Params(ItemFormat.JsonLines, ItemFormat.Csv)]
    public ItemFormat Format { get; set; }

    [GlobalSetup]
    public void Setup() => _path = Path.Combine(Path.GetTempPath(), $"trawl-bench-{Guid.NewGuid():N}.{(Format == ItemFormat.Csv ? "csv" : "jsonl")}");

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark(Description = "serialize an item")]
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(new { url = "http://127.0.0.1:8080/pages/1", title = "Page 1", tags = new[] { "a", "b" } });

    [Benchmark(Description = "export 100 items (one flushed batch)", OperationsPerInvoke = 100)]
    public async Task Export()
    {
        await using var exporter = ItemExporters.Create(_path, Format, resumeAt: null);
        await exporter.WriteAsync(_batch, CancellationToken.None);
    }
}
