using StackExchange.Redis;
using Trawl.Tests.Support;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>
/// One crawl on a test redis-server, and what its test opens on it: a raw connection to look at (or damage) its keys,
/// and its workers and admins, all disposed with it. With a <see cref="TimeProvider"/>, workers and admins measure
/// leases and liveness by it (<see cref="RedisClock.Client"/>), so a fake clock drives them.
/// </summary>
public sealed class RedisTestCrawl : IAsyncDisposable
{
    private readonly RedisServer _server;
    private readonly TimeProvider? _time;
    private readonly ConnectionMultiplexer _raw;
    private readonly List<IAsyncDisposable> _opened = [];

    private RedisTestCrawl(RedisServer server, ConnectionMultiplexer raw, string spider, TimeProvider? time)
    {
        _server = server;
        _raw = raw;
        Spider = spider;
        _time = time;
    }

    public string Spider { get; }

    public ConnectionMultiplexer Multiplexer => _raw;

    /// <summary>The crawl's database, to read and write its keys directly.</summary>
    public IDatabase Raw => _raw.GetDatabase();

    /// <param name="server">The redis-server.</param>
    /// <param name="prefix">Starts the crawl's name; a new GUID ends it.</param>
    /// <param name="time">The clock workers and admins measure by, or null for the server's.</param>
    public static async Task<RedisTestCrawl> OpenAsync(RedisServer server, string prefix, TimeProvider? time = null)
    {
        // allowAdmin: tests flush and shut the server down.
        var raw = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},allowAdmin=true");
        return new RedisTestCrawl(server, raw, $"{prefix}-{Guid.NewGuid():N}", time);
    }

    /// <summary>The crawl's key <paramref name="name"/> (<c>trawl:{spider}:{name}</c>).</summary>
    public string Key(string name) => $"trawl:{Spider}:{name}";

    public async Task<RedisFrontier> WorkerAsync(Action<RedisFrontierOptions>? configure, CancellationToken cancellationToken)
    {
        var options = Configure(new RedisFrontierOptions());
        configure?.Invoke(options);
        var frontier = await RedisFrontier.ConnectAsync(options, cancellationToken);
        _opened.Add(frontier);
        return frontier;
    }

    public async Task<RedisCrawlAdmin> AdminAsync(CancellationToken cancellationToken, string? spider = null)
    {
        var options = Configure(new RedisCrawlOptions());
        options.SpiderName = spider ?? Spider;
        var admin = await RedisCrawlAdmin.ConnectAsync(options, cancellationToken);
        _opened.Add(admin);
        return admin;
    }

    /// <summary>The crawl's status, read by a new admin, as the CLI reads it.</summary>
    public async Task<RedisCrawlStatus> StatusAsync(CancellationToken cancellationToken) => await (await AdminAsync(cancellationToken)).GetStatusAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        foreach (var opened in _opened)
        {
            await opened.DisposeAsync();
        }

        _raw.Close(allowCommandsToComplete: false);
        _raw.Dispose();
    }

    private T Configure<T>(T options)
        where T : RedisCrawlOptions
    {
        options.Url = _server.Url;
        options.SpiderName = Spider;
        if (_time is not null)
        {
            options.Clock = RedisClock.Client;
            options.TimeProvider = _time;
            if (options is RedisFrontierOptions worker)
            {
                // A fake clock jumps: to liveness, every worker would look stalled for the jump and be taken for dead.
                // The tests of liveness turn it back on.
                worker.LivenessTimeout = Timeout.InfiniteTimeSpan;
            }
        }

        return options;
    }
}

/// <summary>
/// A test class whose every test has a <see cref="RedisTestCrawl"/> of its own (and a minute to run), on the server
/// <see cref="ServerAsync"/> gives; with <paramref name="fakeClock"/>, its workers and admins run on <see cref="Time"/>.
/// </summary>
public abstract class RedisCrawlTestBase(string prefix, bool fakeClock) : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private RedisTestCrawl? _crawl;

    /// <summary>The fake clock, which moves only when the test advances it.</summary>
    protected FakeTimeProvider Time { get; } = new();

    protected CancellationToken Ct => _timeout.Token;

    protected RedisTestCrawl Crawl => _crawl ?? throw new InvalidOperationException("The crawl is not open yet.");

    protected IDatabase Raw => Crawl.Raw;

    public async Task InitializeAsync() => _crawl = await RedisTestCrawl.OpenAsync(await ServerAsync(), prefix, fakeClock ? Time : null);

    public async Task DisposeAsync()
    {
        if (_crawl is not null)
        {
            await _crawl.DisposeAsync();
        }

        await DisposeServerAsync();
        _timeout.Dispose();
    }

    /// <summary>The redis-server the crawl is on: a class fixture's, or one of the test's own.</summary>
    protected abstract Task<RedisServer> ServerAsync();

    /// <summary>Stops a server of the test's own.</summary>
    protected virtual Task DisposeServerAsync() => Task.CompletedTask;
}
