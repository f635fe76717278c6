using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.HttpCache;
using Trawl.Tests.Support;

namespace Trawl.Tests.HttpCache;

/// <summary>The HTTP cache as a downloader stage, over real HTTP and a real SQLite file, with a clock the test moves.</summary>
public sealed class CachingDownloaderTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private CacheTestServer _server = null!;

    public async Task InitializeAsync() => _server = await CacheTestServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task KeepForever_AnswersTheSecondRequestFromTheCache_WithTheSameResponse()
    {
        using var cache = Open();

        var first = await GetAsync(cache, "/plain");
        var second = await GetAsync(cache, "/plain");

        _server.Served("/plain").ShouldBe(1);
        second.Status.ShouldBe(200);
        second.Url.ShouldBe(first.Url);
        second.Text.ShouldBe(first.Text);
        second.ContentType.ShouldBe("text/html");
        second.Request.Url.ShouldBe(_server.Url("/plain"));
        cache.Hits.ShouldBe(1);
        cache.Stored.ShouldBe(1);
    }

    [Fact]
    public async Task KeepForever_KeepsResponsesAcrossRuns_AndWhateverTheirHeadersSay()
    {
        using (var cache = Open())
        {
            await GetAsync(cache, "/no-store");
            await GetAsync(cache, "/max-age/0");
        }

        using var again = Open();
        (await GetAsync(again, "/no-store")).Css("#count::text").Get().ShouldBe("1");
        (await GetAsync(again, "/max-age/0")).Css("#count::text").Get().ShouldBe("1");
        _server.Served("/no-store").ShouldBe(1);
        _server.Served("/max-age/0").ShouldBe(1);
    }

    [Fact]
    public async Task StoredResponses_KeepNoSetCookie()
    {
        using var cache = Open();
        (await GetAsync(cache, "/set-cookie")).Headers.ContainsKey("Set-Cookie").ShouldBeTrue();

        var stored = await GetAsync(cache, "/set-cookie");

        _server.Served("/set-cookie").ShouldBe(1);
        stored.Headers.ContainsKey("Set-Cookie").ShouldBeFalse();
        stored.Headers.ContainsKey("Content-Type").ShouldBeTrue();
    }

    [Fact]
    public async Task Expiration_FetchesAgainWhatWasStoredLongerAgo()
    {
        using var cache = Open(options => options.Expiration = TimeSpan.FromMinutes(10));
        await GetAsync(cache, "/plain");
        _time.Advance(TimeSpan.FromMinutes(9));
        await GetAsync(cache, "/plain");
        _server.Served("/plain").ShouldBe(1);

        _time.Advance(TimeSpan.FromMinutes(2));
        (await GetAsync(cache, "/plain")).Css("#count::text").Get().ShouldBe("2");
        await GetAsync(cache, "/plain");

        _server.Served("/plain").ShouldBe(2);
    }

    [Theory]
    [InlineData(404, true)]
    [InlineData(410, true)]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public async Task ByDefault_StatusesARetryMayCure_AreNotStored(int status, bool stored)
    {
        using var cache = Open();
        var path = $"/status/{status}";

        await GetAsync(cache, path);
        (await GetAsync(cache, path)).Status.ShouldBe(status);

        _server.Served(path).ShouldBe(stored ? 1 : 2);
    }

    [Fact]
    public async Task Statuses_WhenGiven_AreTheOnlyOnesStored()
    {
        using var cache = Open(options => options.Statuses.Add(200));

        await GetAsync(cache, "/status/404");
        await GetAsync(cache, "/status/404");
        await GetAsync(cache, "/plain");
        await GetAsync(cache, "/plain");

        _server.Served("/status/404").ShouldBe(2);
        _server.Served("/plain").ShouldBe(1);
    }

    [Theory]
    [InlineData("Authorization", "Bearer secret")]
    [InlineData("Cookie", "session=secret")]
    [InlineData("Proxy-Authorization", "Basic c2VjcmV0")]
    public async Task RequestsWithCredentials_AreNeitherStoredNorServed_UnlessAsked(string header, string value)
    {
        using (var cache = Open())
        {
            await GetAsync(cache, "/plain", (header, value));
            await GetAsync(cache, "/plain", (header, value));
            _server.Served("/plain").ShouldBe(2);
            await GetAsync(cache, "/plain");
            await GetAsync(cache, "/plain", (header, value));
            _server.Served("/plain").ShouldBe(4);
            cache.Hits.ShouldBe(0);
        }

        using var asked = Open(options => options.StoreRequestsWithCredentials = true);
        await GetAsync(asked, "/max-age/60", (header, value));
        await GetAsync(asked, "/max-age/60", (header, value));
        _server.Served("/max-age/60").ShouldBe(1);
    }

    [Fact]
    public async Task RequestsWithConditionalHeadersOfTheirOwn_PassByTheCache()
    {
        using var cache = Open();
        await GetAsync(cache, "/plain");

        await GetAsync(cache, "/plain", ("If-None-Match", "\"x\""));

        _server.Served("/plain").ShouldBe(2);
    }

    [Fact]
    public async Task Vary_KeepsOneResponsePerValueOfTheHeadersItNames_AndVaryStarIsNeverStored()
    {
        using var cache = Open();

        (await GetAsync(cache, "/vary", ("Accept-Language", "fr"))).Css("title::text").Get().ShouldBe("vary:fr");
        (await GetAsync(cache, "/vary", ("Accept-Language", "de"))).Css("title::text").Get().ShouldBe("vary:de");
        (await GetAsync(cache, "/vary", ("Accept-Language", "de"))).Css("title::text").Get().ShouldBe("vary:de");
        await GetAsync(cache, "/vary-star");
        await GetAsync(cache, "/vary-star");

        _server.Served("/vary").ShouldBe(2);
        _server.Served("/vary-star").ShouldBe(2);
    }

    [Fact]
    public async Task Rfc9111_UsesAFreshResponse_ThenFetchesAgainOnceStale()
    {
        using var cache = Open(options => options.Policy = HttpCachePolicy.Rfc9111);
        await GetAsync(cache, "/max-age/60");
        _time.Advance(TimeSpan.FromSeconds(50));
        await GetAsync(cache, "/max-age/60");
        _server.Served("/max-age/60").ShouldBe(1);

        _time.Advance(TimeSpan.FromSeconds(20));
        await GetAsync(cache, "/max-age/60");

        _server.Served("/max-age/60").ShouldBe(2);
        _server.Conditional.ShouldBeEmpty();
    }

    [Fact]
    public async Task Rfc9111_HonoursExpires_AndHeuristicFreshnessFromLastModified()
    {
        using var cache = Open(options => options.Policy = HttpCachePolicy.Rfc9111);
        await GetAsync(cache, "/expires");
        await GetAsync(cache, "/last-modified");
        _time.Advance(TimeSpan.FromMinutes(50));
        await GetAsync(cache, "/expires");
        await GetAsync(cache, "/last-modified");
        _server.Served("/expires").ShouldBe(1);
        _server.Served("/last-modified").ShouldBe(1);

        _time.Advance(TimeSpan.FromHours(30));
        await GetAsync(cache, "/expires");
        await GetAsync(cache, "/last-modified");

        _server.Served("/expires").ShouldBe(2);
        _server.Served("/last-modified").ShouldBe(2);
    }

    [Theory]
    [InlineData("/etag")]
    [InlineData("/last-modified-only")]
    public async Task Rfc9111_RevalidatesWithTheValidators_AndA304RenewsTheStoredResponse(string path)
    {
        using var cache = Open(options => options.Policy = HttpCachePolicy.Rfc9111);
        await GetAsync(cache, path);

        var renewed = await GetAsync(cache, path);

        renewed.Status.ShouldBe(200);
        renewed.Css("#version::text").Get().ShouldBe("1");
        renewed.Css("#count::text").Get().ShouldBe("1");
        _server.Served(path).ShouldBe(1);
        _server.Conditional.ShouldBe([$"{path} 304"]);
        cache.Revalidated.ShouldBe(1);

        _server.Version = 2;
        var changed = await GetAsync(cache, path);
        changed.Css("#version::text").Get().ShouldBe("2");
        (await GetAsync(cache, path)).Css("#version::text").Get().ShouldBe("2");
        _server.Conditional.ShouldBe([$"{path} 304", $"{path} 200", $"{path} 304"]);
    }

    [Fact]
    public async Task Rfc9111_StoresNothingItCouldNeverUseAgain()
    {
        using var cache = Open(options => options.Policy = HttpCachePolicy.Rfc9111);

        foreach (var path in new[] { "/no-store", "/plain", "/no-store", "/plain" })
        {
            await GetAsync(cache, path);
        }

        _server.Served("/no-store").ShouldBe(2);
        _server.Served("/plain").ShouldBe(2);
        cache.Stored.ShouldBe(0);
    }

    [Fact]
    public async Task Rfc9111_ARequestAskingForNoCache_IsRevalidatedOrFetched()
    {
        using var cache = Open(options => options.Policy = HttpCachePolicy.Rfc9111);
        await GetAsync(cache, "/max-age/3600");
        _time.Advance(TimeSpan.FromSeconds(1));

        await GetAsync(cache, "/max-age/3600", ("Cache-Control", "no-cache"));
        await GetAsync(cache, "/max-age/3600", ("Pragma", "no-cache"));
        await GetAsync(cache, "/max-age/3600", ("Cache-Control", "max-age=0"));

        _server.Served("/max-age/3600").ShouldBe(4);
    }

    [Fact]
    public async Task ADamagedEntry_IsFetchedAgain_AndReplaced()
    {
        using var cache = Open();
        await GetAsync(cache, "/plain");
        using (var connection = new SqliteConnection($"Data Source={Path.Combine(_temp.Path, HttpCacheStore.FileName)};Pooling=False"))
        {
            connection.Open();
            using var damage = connection.CreateCommand();
            damage.CommandText = "UPDATE responses SET body = x'00112233'";
            damage.ExecuteNonQuery().ShouldBe(1);
        }

        (await GetAsync(cache, "/plain")).Css("#count::text").Get().ShouldBe("2");
        (await GetAsync(cache, "/plain")).Css("#count::text").Get().ShouldBe("2");

        _server.Served("/plain").ShouldBe(2);
    }

    [Fact]
    public void ADirectoryThatCannotHoldTheCache_IsRefusedWithOneClearMessage()
    {
        var file = _temp.File("not-a-directory");
        File.WriteAllText(file, "x");
        Should.Throw<HttpCacheException>(() => HttpCacheStore.Open(file)).Message.ShouldContain(file);

        var damaged = Path.Combine(_temp.Path, "damaged");
        Directory.CreateDirectory(damaged);
        File.WriteAllBytes(Path.Combine(damaged, HttpCacheStore.FileName), Encoding.UTF8.GetBytes(new string('x', 8192)));
        Should.Throw<HttpCacheException>(() => HttpCacheStore.Open(damaged)).Message.ShouldContain("damaged");
    }

    private CachingDownloader Open(Action<HttpCacheOptions>? configure = null)
    {
        var options = new HttpCacheOptions { Directory = _temp.Path };
        configure?.Invoke(options);
        options.Validate();
        return new CachingDownloader(new HttpDownloader(new DownloaderOptions(), timeProvider: _time), HttpCacheStore.Open(_temp.Path), options, _time, NullLogger.Instance);
    }

    private async Task<Response> GetAsync(CachingDownloader cache, string path, params (string Name, string Value)[] headers)
    {
        var request = new Request(_server.Url(path));
        foreach (var (name, value) in headers)
        {
            request.Headers[name] = value;
        }

        var result = await cache.DownloadAsync(request, CancellationToken.None);
        return result.Response.ShouldNotBeNull(result.Message);
    }
}
