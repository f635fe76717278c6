using Trawl.Frontier;

namespace Trawl.Tests.Frontier;

public sealed class MemoryFrontierContractTests : FrontierContractTests
{
    protected override ValueTask<IFrontier> CreateFrontierAsync(TimeProvider time, TimeSpan leaseDuration) =>
        new(new MemoryFrontier(time, leaseDuration));
}
