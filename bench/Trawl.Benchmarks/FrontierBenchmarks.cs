using BenchmarkDotNet.Attributes;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;

namespace Trawl.Benchmarks;

/// <summary>
/// One crawl step through a frontier, in batches: add 1,000 discovered requests (a tenth of them new), lease 100,
/// complete the 100 with one item each. In memory and in a SQLite job directory, with the job's cache of stored
/// fingerprints on (the default) and off (<see cref="JobStoreOptions.SeenCacheSize"/> = 0, as before issue 6).
/// </summary>
[MemoryDiagnoser]
public class FrontierBenchmarks
{
    private const int Batch = 100;
    private static readonly byte[] Item = """{"url":"http://127.0.0.1:8080/pages/1","title":"Page 1"}"""u8.ToArray();
    private IFrontier _frontier = null!;
    private string? _directory;
    private int _next;

    [Params("memory", "sqlite", "sqlite-no-cache")]
    public string Kind { get; set; } = "memory";

    [GlobalSetup]
    public async Task SetupAsync()
    {
        if (Kind == "memory")
        {
            _frontier = new MemoryFrontier();
        }
        else
        {
            _directory = Path.Combine(Path.GetTempPath(), "trawl-bench-" + Guid.NewGuid().ToString("N"));
            var options = new JobStoreOptions { SeenCacheSize = Kind == "sqlite-no-cache" ? 0 : new JobStoreOptions().SeenCacheSize };
            var store = await JobStore.OpenAsync(_directory, options, CancellationToken.None);
            _frontier = store.Frontier;
        }

        await _frontier.AddAsync(NewRequests(10 * Batch), CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _frontier.DisposeAsync();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Benchmark(Description = "add 1,000 (100 new) + lease 100 + complete 100", OperationsPerInvoke = Batch)]
    public async Task<int> Step()
    {
        var discovered = NewRequests(Batch);
        var seen = Enumerable.Range(0, 9 * Batch).Select(i => new Request($"http://127.0.0.1:8080/pages/{i}")).ToList();
        await _frontier.AddAsync([.. discovered, .. seen], CancellationToken.None);
        var leases = await _frontier.TryLeaseAsync(Batch, CancellationToken.None);
        var completions = leases.Select(lease => Completion.Done(lease, 200, [], [Item])).ToList();
        var result = await _frontier.CompleteAsync(completions, CancellationToken.None);
        return result.Items.Count;
    }

    private List<Request> NewRequests(int count)
    {
        var requests = new List<Request>(count);
        for (var i = 0; i < count; i++)
        {
            requests.Add(new Request($"http://127.0.0.1:8080/new/{_next++}"));
        }

        return requests;
    }
}
