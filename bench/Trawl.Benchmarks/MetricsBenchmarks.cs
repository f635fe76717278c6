using BenchmarkDotNet.Attributes;
using Trawl.Cli.Hosting;
using Trawl.Engine;

namespace Trawl.Benchmarks;

/// <summary>
/// What counting one page costs the engine: the stats calls a fetched page makes, with nothing listening to the Trawl
/// meter (a library crawl) and with the CLI's prometheus-net metrics listening (<c>--metrics</c>).
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(42);
    private StatsCollector _stats = null!;
    private PrometheusMetrics? _metrics;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _metrics = Listening ? new PrometheusMetrics() : null;
        _stats = new StatsCollector(TimeProvider.System, "bench", static () => 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stats.Dispose();
        _metrics?.Dispose();
    }

    [Benchmark(Description = "count a page (request, download, response, page, item)")]
    public void CountPage()
    {
        _stats.Request();
        _stats.Downloaded(Latency);
        _stats.Response(200, 4096);
        _stats.Page();
        _stats.AddItems(1);
    }
}
