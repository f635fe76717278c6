using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Redis;
using Trawl.Tests.Frontier;

namespace Trawl.Tests.Redis;

/// <summary>
/// The frontier contract, run against a real <c>redis-server</c>. Each frontier is a new crawl (its own spider name) in
/// the same database.
/// </summary>
/// <remarks>
/// <para>Time: the contract moves a fake clock, so these frontiers use <see cref="RedisClock.Client"/>: lease deadlines
/// and retry due times are taken from the test's <see cref="Trawl.Tests.Support.FakeTimeProvider"/> instead of the Redis
/// server's clock. Everything else (the scripts, the data) is what production runs.</para>
/// <para>Reopen: a "crash" drops the frontier without disposing it (no release, no goodbye), and the reopened frontier
/// is a new instance on the same crawl with the same <see cref="RedisFrontierOptions.WorkerId"/>, as a restarted worker
/// is. A worker restarted under its id takes back its previous run's leases at once, which is what the contract expects
/// of a reopened frontier; a different worker gets them only when they expire
/// (<see cref="RedisFrontierTests.DeadWorkersLeases_ComeBackToAnotherWorker_OnlyOnceTheyExpire"/>).</para>
/// </remarks>
public sealed class RedisFrontierContractTests : DurableFrontierContractTests, IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly RedisServer _server;
    private readonly Dictionary<IFrontier, RedisFrontierOptions> _opened = [];
    private ConnectionMultiplexer? _multiplexer;

    public RedisFrontierContractTests(RedisServerFixture fixture) => _server = fixture.Server;

    public async Task InitializeAsync() =>
        _multiplexer = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_server.Port}");

    public async Task DisposeAsync()
    {
        foreach (var frontier in _opened.Keys)
        {
            await frontier.DisposeAsync();
        }

        _multiplexer?.Close(allowCommandsToComplete: false);
        _multiplexer?.Dispose();
    }

    protected override async ValueTask<IFrontier> CreateFrontierAsync(TimeProvider time, TimeSpan leaseDuration)
    {
        var options = new RedisFrontierOptions
        {
            Url = _server.Url,
            SpiderName = $"contract-{Guid.NewGuid():N}",
            WorkerId = $"worker-{Guid.NewGuid():N}",
            Clock = RedisClock.Client,
            TimeProvider = time,
            LeaseDuration = leaseDuration,
        };
        var frontier = await RedisFrontier.CreateAsync(_multiplexer!, options, Ct);
        _opened[frontier] = options;
        return frontier;
    }

    protected override async ValueTask<IFrontier> ReopenAsync(IFrontier crashed)
    {
        var options = _opened[crashed];
        var reopened = await RedisFrontier.CreateAsync(_multiplexer!, options, Ct);
        _opened[reopened] = options;
        return reopened;
    }
}
