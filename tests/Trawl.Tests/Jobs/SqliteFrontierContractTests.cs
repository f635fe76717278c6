using Trawl.Frontier;
using Trawl.Jobs;
using Trawl.Tests.Frontier;
using Trawl.Tests.Support;

namespace Trawl.Tests.Jobs;

/// <summary>The frontier contract, run against the SQLite job store in a temporary directory.</summary>
public sealed class SqliteFrontierContractTests : DurableFrontierContractTests
{
    private readonly TempDirectory _root = new();
    private readonly Dictionary<IFrontier, (string Directory, TimeSpan LeaseDuration)> _opened = [];

    protected override async ValueTask<IFrontier> CreateFrontierAsync(TimeProvider time, TimeSpan leaseDuration)
    {
        var directory = Path.Combine(_root.Path, $"job{_opened.Count}");
        var store = await JobStore.OpenAsync(directory, new JobStoreOptions { TimeProvider = time, LeaseDuration = leaseDuration }, Ct);
        store.IsNew.ShouldBeTrue();
        _opened[store.Frontier] = (directory, leaseDuration);
        return store.Frontier;
    }

    protected override async ValueTask<IFrontier> ReopenAsync(IFrontier crashed)
    {
        var (directory, leaseDuration) = _opened[crashed];
        await JobCrash.SimulateAsync(((SqliteFrontier)crashed).Store);
        File.Exists(Path.Combine(directory, "job.db-wal")).ShouldBeTrue("a crash leaves the write-ahead log for the next open to recover");

        var store = await JobStore.OpenAsync(directory, new JobStoreOptions { TimeProvider = Time, LeaseDuration = leaseDuration }, Ct);
        store.IsNew.ShouldBeFalse();
        _opened[store.Frontier] = (directory, leaseDuration);
        return store.Frontier;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var frontier in _opened.Keys)
            {
                frontier.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            _root.Dispose();
        }

        base.Dispose(disposing);
    }
}
