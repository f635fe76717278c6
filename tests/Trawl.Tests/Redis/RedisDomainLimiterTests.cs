using StackExchange.Redis;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>The per-host limit holds across workers: three clients, each with its own connection, share one limit.</summary>
public sealed class RedisDomainLimiterTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>, IAsyncLifetime
{
    private readonly List<RedisFrontier> _clients = [];
    private readonly string _spider = $"limit-{Guid.NewGuid():N}";
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    private CancellationToken Ct => _timeout.Token;

    public async Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            _clients.Add(await RedisFrontier.ConnectAsync(new RedisFrontierOptions { Url = fixture.Server.Url, SpiderName = _spider }, Ct));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _timeout.Dispose();
    }

    [Fact]
    public async Task Burst_IsSharedByAllClients()
    {
        var limiters = await LimitersAsync(new RedisDomainLimiterOptions { RequestsPerSecond = 0.001, Burst = 5 });

        var permits = await Task.WhenAll(limiters.SelectMany(l => Enumerable.Range(0, 10).Select(_ => l.TryAcquireAsync("example.com", Ct).AsTask())));

        permits.Count(p => p.Acquired).ShouldBe(5);
        permits.Where(p => !p.Acquired).ShouldAllBe(p => p.RetryAfter > TimeSpan.FromSeconds(100));
        (await limiters[0].TryAcquireAsync("other.example", Ct)).Acquired.ShouldBeTrue("each host has its own bucket");
        (await limiters[1].TryAcquireAsync("EXAMPLE.COM", Ct)).Acquired.ShouldBeFalse("host names compare case-insensitively");
    }

    [Fact]
    public async Task ConcurrencySlots_AreSharedByAllClients_AndFreedOnRelease()
    {
        var limiters = await LimitersAsync(new RedisDomainLimiterOptions { RequestsPerSecond = 0, MaxConcurrency = 2 });

        var first = await Task.WhenAll(limiters.Select(l => l.TryAcquireAsync("example.com", Ct).AsTask()));
        first.Count(p => p.Acquired).ShouldBe(2);
        var holder = limiters[Array.FindIndex(first, p => p.Acquired)];
        var waiter = limiters[Array.FindIndex(first, p => !p.Acquired)];
        (await waiter.TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeFalse();

        await waiter.ReleaseAsync("example.com", Ct); // holds nothing: frees nothing
        (await waiter.TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeFalse();
        await holder.ReleaseAsync("example.com", Ct);

        (await waiter.TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeTrue();
    }

    [Fact]
    public async Task Rate_NeverExceedsBurstPlusRateTimesElapsed_AcrossClients()
    {
        const double rate = 50;
        var limiters = await LimitersAsync(new RedisDomainLimiterOptions { RequestsPerSecond = rate, Burst = 1 });
        var db = _clients[0].Connection.Database;
        var start = await ServerSecondsAsync(db);

        var acquired = await Task.WhenAll(limiters.Select(async limiter =>
        {
            var count = 0;
            for (var i = 0; i < 60; i++)
            {
                var permit = await limiter.TryAcquireAsync("example.com", Ct);
                if (permit.Acquired)
                {
                    count++;
                }
                else
                {
                    await Task.Delay(permit.RetryAfter / 2, Ct);
                }
            }

            return count;
        }));

        var elapsed = await ServerSecondsAsync(db) - start;
        var total = acquired.Sum();
        total.ShouldBeGreaterThan(1);
        total.ShouldBeLessThanOrEqualTo((int)Math.Floor(1 + (rate * elapsed)));
    }

    [Fact]
    public async Task Rate_IsReallyGranted_AfterAQuietSpellTheBucketHoldsItsBurstAgain()
    {
        var limiters = await LimitersAsync(new RedisDomainLimiterOptions { RequestsPerSecond = 20, Burst = 5 });
        (await TakeAllAsync(limiters[0])).ShouldBeGreaterThanOrEqualTo(5, "a full bucket grants its burst");

        // At least a second passes, which refills 20 tokens' worth: the bucket is full again, whoever asks.
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);

        (await TakeAllAsync(limiters[1])).ShouldBeGreaterThanOrEqualTo(5);
    }

    [Fact]
    public async Task Limits_AreRecordedByTheFirst_AdoptedByWorkersWithoutAny_AndOtherLimitsAreRefused()
    {
        (await RedisDomainLimiter.OpenAsync(_clients[0], TimeSpan.FromMinutes(2), Ct)).ShouldBeNull("nothing recorded yet");
        var first = await RedisDomainLimiter.CreateAsync(_clients[0], new RedisDomainLimiterOptions { RequestsPerSecond = 2.5, Burst = 3, MaxConcurrency = 4 }, Ct);

        var adopted = await RedisDomainLimiter.OpenAsync(_clients[1], TimeSpan.FromMinutes(2), Ct);
        adopted.ShouldNotBeNull();
        adopted.Limits.ShouldBe(new RedisDomainLimits(2.5, 3, 4));
        first.Limits.ShouldBe(adopted.Limits);
        var same = await RedisDomainLimiter.CreateAsync(_clients[2], new RedisDomainLimiterOptions { RequestsPerSecond = 2.5, Burst = 3, MaxConcurrency = 4 }, Ct);
        same.Limits.ShouldBe(first.Limits);

        var ex = await Should.ThrowAsync<InvalidOperationException>(() => RedisDomainLimiter.CreateAsync(_clients[2], new RedisDomainLimiterOptions { RequestsPerSecond = 5, Burst = 3, MaxConcurrency = 4 }, Ct));
        ex.Message.ShouldContain("2.5 requests/s per domain (burst 3), at most 4 in flight per domain, not 5 requests/s");
        ex.Message.ShouldContain($"trawl:{_spider}:config");
    }

    [Fact]
    public async Task ChangedLimits_InTheCrawlsConfig_ApplyAtOnce_ToEveryLimiter()
    {
        var limiters = await LimitersAsync(new RedisDomainLimiterOptions { RequestsPerSecond = 0.001, Burst = 1 });
        (await limiters[0].TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeTrue();
        (await limiters[1].TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeFalse();

        await _clients[0].Connection.Database.HashSetAsync($"trawl:{_spider}:config", "global_rate", 100_000);
        await Task.Delay(5, Ct);

        (await limiters[1].TryAcquireAsync("example.com", Ct)).Acquired.ShouldBeTrue("the new rate refills the bucket at once");
    }

    // Acquires until refused; returns how many were granted. Time refills the bucket meanwhile, so it can be more than
    // the burst, never less.
    private async Task<int> TakeAllAsync(RedisDomainLimiter limiter)
    {
        var granted = 0;
        while ((await limiter.TryAcquireAsync("example.com", Ct)).Acquired)
        {
            granted++;
        }

        return granted;
    }

    private async Task<RedisDomainLimiter[]> LimitersAsync(RedisDomainLimiterOptions options) =>
        await Task.WhenAll(_clients.Select(c => RedisDomainLimiter.CreateAsync(c, options, Ct)));

    private static async Task<double> ServerSecondsAsync(IDatabase db)
    {
        var time = (RedisResult[])(await db.ExecuteAsync("TIME"))!;
        return long.Parse((string)time[0]!) + (long.Parse((string)time[1]!) / 1e6);
    }
}
