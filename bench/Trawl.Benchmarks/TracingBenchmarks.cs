using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Trawl.Downloader;
using Trawl.Engine;
using Trawl.Frontier;
using Trawl.Http;

namespace Trawl.Benchmarks;

/// <summary>
/// What tracing one page costs the engine: the request span around a download (a downloader that answers at once), as
/// <c>CrawlEngine</c> makes them, with nobody listening to the Trawl activity source (a library crawl, and <c>trawl</c>
/// without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), with a listener whose sampler keeps nothing, and with one that records
/// every span (as OpenTelemetry does; its exporter's own cost is not counted).
/// </summary>
[MemoryDiagnoser]
public class TracingBenchmarks
{
    private Lease _lease = null!;
    private Completion _completion = null!;
    private AnsweringDownloader _downloader = null!;
    private ActivityListener? _listener;

    [Params("none", "unsampled", "sampled")]
    public string Listener { get; set; } = "none";

    [GlobalSetup]
    public void Setup()
    {
        var request = new Request("https://example.com/docs/page?id=42");
        _lease = new Lease(1, 1, request, 0, DateTimeOffset.MaxValue);
        _completion = Completion.Done(_lease, 200, [], []);
        _downloader = new AnsweringDownloader(new Response(request, request.Url, 200, new Dictionary<string, IReadOnlyList<string>>(), new byte[4096]));
        if (Listener != "none")
        {
            var result = Listener == "sampled" ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None;
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == CrawlTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => result,
            };
            ActivitySource.AddActivityListener(_listener);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _listener?.Dispose();

    [Benchmark(Description = "trace a page (request span, download span)")]
    public async ValueTask<int> TracePage()
    {
        using var span = CrawlTracing.StartRequest("bench", _lease, "example.com");
        var result = await CrawlTracing.DownloadAsync(_downloader, _lease.Request, null, "example.com", CancellationToken.None);
        CrawlTracing.RequestEnded(span, _completion);
        return result.Response!.Status;
    }

    private sealed class AnsweringDownloader(Response response) : IDownloader
    {
        public ValueTask<DownloadResult> DownloadAsync(Request request, CancellationToken cancellationToken) => new(DownloadResult.Success(response));

        public void Dispose()
        {
        }
    }
}
