using System.Security.Cryptography;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Tests.Support;

namespace Trawl.Tests.Jobs;

/// <summary>A temporary directory, a fake clock, and helpers for job store tests.</summary>
public abstract class JobStoreTestBase : IDisposable
{
    // Bounds a hang, nothing else: the bulk test and the kill test's child processes take minutes on a loaded machine.
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(10));
    private readonly List<JobStore> _stores = [];

    protected TempDirectory Root { get; } = new();

    protected FakeTimeProvider Time { get; } = new();

    protected CancellationToken Ct => _timeout.Token;

    protected string JobDir => Path.Combine(Root.Path, "job");

    protected string DatabasePath => Path.Combine(JobDir, "job.db");

    private protected JobStoreOptions Options(Action<JobStoreOptions>? configure = null)
    {
        var options = new JobStoreOptions { TimeProvider = Time };
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Opens the job in <see cref="JobDir"/>; the store is disposed with the test unless it is disposed first.</summary>
    private protected async Task<JobStore> OpenAsync(Action<JobStoreOptions>? configure = null, string? directory = null)
    {
        var store = await JobStore.OpenAsync(directory ?? JobDir, Options(configure), Ct);
        _stores.Add(store);
        return store;
    }

    /// <summary>Creates a job with some requests in every state, then closes it cleanly.</summary>
    protected async Task CreateJobAsync(int requests = 200)
    {
        await using var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        await store.Frontier.AddAsync(Enumerable.Range(0, requests).Select(i => new Request($"https://example.com/page/{i}?q={i * 7}")).ToArray(), Ct);
        var leases = await store.Frontier.TryLeaseAsync(requests / 2, Ct);
        await store.Frontier.CompleteAsync(leases.Select((l, i) => i % 10 == 9
            ? Completion.Failed(l, "http_404", "Not Found", 404)
            : Completion.Done(l, 200, [], [System.Text.Encoding.UTF8.GetBytes($"{{\"i\":{i}}}")])).ToArray(), Ct);
    }

    protected static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Every file of a directory with the hash of its contents, except the lock file, which every open rewrites.</summary>
    protected static Dictionary<string, string> Snapshot(string directory) => Directory.EnumerateFiles(directory)
        .Where(f => Path.GetFileName(f) != "lock")
        .ToDictionary(f => Path.GetFileName(f), Hash);

    protected static Request Req(string url, int priority = 0) => new(url) { Priority = priority };

    protected static byte[] Item(string value) => System.Text.Encoding.UTF8.GetBytes($"{{\"v\":\"{value}\"}}");

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _timeout.Dispose();
        Root.Dispose();
        GC.SuppressFinalize(this);
    }
}
