using System.Text;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Downloader;

[Collection(DownloaderServerCollection.Name)]
public sealed class HttpDownloaderFailureTests(DownloaderServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    // Only the request that must time out gets a short timeout; any other download has minutes, so that on a busy
    // machine a slow answer to /html is never mistaken for a timeout.
    private static readonly TimeSpan Generous = Waiting.Generous;

    private Request TimingOut(string path) => new(server.Url(path)) { Meta = { [RequestMeta.DownloadTimeout] = 0.3 } };

    [Fact]
    public async Task SlowHeaders_PastTheTimeout_FailsAsTimeout()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = TimeSpan.FromMilliseconds(300) });

        var result = await downloader.DownloadAsync(new Request(server.Url("/slow")), None);

        result.Error.ShouldBe(DownloadError.Timeout);
        result.ErrorKind.ShouldBe("timeout");
        result.IsTransient.ShouldBeTrue();
    }

    [Fact]
    public async Task TricklingBody_PastTheTimeout_FailsAsTimeout()
    {
        // Headers and bytes keep coming, so only a timeout that covers the body too can stop this.
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = TimeSpan.FromMilliseconds(500) });

        var result = await downloader.DownloadAsync(new Request(server.Url("/trickle")), None);

        result.Error.ShouldBe(DownloadError.Timeout);
    }

    [Fact]
    public async Task Timeout_AfterATimeout_TheDownloaderStillWorks()
    {
        // A timed-out source must not go back to the pool and poison the next download.
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });

        (await downloader.DownloadAsync(TimingOut("/slow"), None)).Error.ShouldBe(DownloadError.Timeout);
        for (var i = 0; i < 5; i++)
        {
            var result = await downloader.DownloadAsync(new Request(server.Url("/html")), None);
            result.Error.ShouldBe(DownloadError.None, result.Message);
        }
    }

    [Fact]
    public async Task TimeoutSources_AreReusedAfterSuccessAndNotAfterATimeout()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });

        for (var i = 0; i < 5; i++)
        {
            (await downloader.DownloadAsync(new Request(server.Url("/html")), None)).IsSuccess.ShouldBeTrue();
        }

        downloader.PooledTimeoutSources.ShouldBe(1);
        (await downloader.DownloadAsync(TimingOut("/slow"), None)).Error.ShouldBe(DownloadError.Timeout);
        downloader.PooledTimeoutSources.ShouldBe(0);
    }

    [Fact]
    public async Task CallerCancellation_FailsAsCancelled()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var result = await downloader.DownloadAsync(new Request(server.Url("/slow")), cancellation.Token);

        result.Error.ShouldBe(DownloadError.Cancelled);
        result.IsTransient.ShouldBeFalse();
    }

    [Fact]
    public async Task CallerCancellation_AlreadyCancelled_FailsAsCancelledWithoutSending()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/html")), new CancellationToken(canceled: true));

        result.Error.ShouldBe(DownloadError.Cancelled);
    }

    [Fact]
    public async Task CallerCancellation_ThenAnotherDownload_Succeeds()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        using (var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            (await downloader.DownloadAsync(new Request(server.Url("/slow")), cancellation.Token)).Error.ShouldBe(DownloadError.Cancelled);
        }

        using var later = new CancellationTokenSource();
        var result = await downloader.DownloadAsync(new Request(server.Url("/html")), later.Token);

        result.Error.ShouldBe(DownloadError.None, result.Message);
    }

    [Fact]
    public async Task BodyWithoutContentLength_OverTheLimit_FailsAsTooLarge()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxResponseSize = 1024 * 1024 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/chunked?size=8000000")), None);

        result.Error.ShouldBe(DownloadError.TooLarge);
        result.ErrorKind.ShouldBe("too_large");
        result.IsTransient.ShouldBeFalse();
    }

    [Fact]
    public async Task Body_OneByteOverTheLimit_FailsAsTooLarge()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxResponseSize = 300_000 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/chunked?size=300001")), None);

        result.Error.ShouldBe(DownloadError.TooLarge);
    }

    [Fact]
    public async Task ContentLengthOverTheLimit_FailsAsTooLargeWithoutReadingTheBody()
    {
        // The server announces 2 GB and then stalls for 30 s: a client that read the body would not end as too large.
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxResponseSize = 1024 * 1024, Timeout = Generous });

        var result = await downloader.DownloadAsync(new Request(server.Url("/huge-announced")), None);

        result.Error.ShouldBe(DownloadError.TooLarge);
        result.Message.ShouldNotBeNull().ShouldContain("2000000000");
    }

    [Fact]
    public async Task GzipBomb_StopsAsTooLarge()
    {
        // About 64 KiB on the wire, 64 MiB inflated.
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxResponseSize = 1024 * 1024 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/gzip-bomb")), None);

        result.Error.ShouldBe(DownloadError.TooLarge);
    }

    [Theory]
    [InlineData("/bad-gzip")]
    [InlineData("/bad-brotli")]
    public async Task UndecodableBody_FailsAsProtocol(string path)
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url(path)), None);

        result.Error.ShouldBe(DownloadError.Protocol, result.Message);
    }

    [Fact]
    public async Task GarbageInsteadOfHttp_FailsAsProtocol()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });
        var (url, served) = DownloaderServer.ServeRawOnce("SSH-2.0-OpenSSH_9.6\r\n\r\n"u8.ToArray());

        var result = await downloader.DownloadAsync(new Request(url), None);
        await served;

        result.Error.ShouldBe(DownloadError.Protocol, result.Message);
    }

    [Fact]
    public async Task ConnectionClosedBeforeTheAnnouncedLength_FailsAsReset()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });
        var (url, served) = DownloaderServer.ServeRawOnce("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/html\r\n\r\n<html>only this"u8.ToArray());

        var result = await downloader.DownloadAsync(new Request(url), None);
        await served;

        result.Error.ShouldBe(DownloadError.Reset, result.Message);
    }

    [Fact]
    public async Task ConnectionAbortedMidBody_FailsAsReset()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });

        var result = await downloader.DownloadAsync(new Request(server.Url("/reset")), None);

        result.Error.ShouldBe(DownloadError.Reset, result.Message);
        result.ErrorKind.ShouldBe("reset");
    }

    [Fact]
    public async Task ClosedPort_FailsAsRefused()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });
        var url = new Uri($"http://127.0.0.1:{DownloaderServer.ClosedPort()}/page");

        var result = await downloader.DownloadAsync(new Request(url), None);

        result.Error.ShouldBe(DownloadError.Refused, result.Message);
        result.ErrorKind.ShouldBe("refused");
    }

    [Fact]
    public async Task UnresolvableHost_FailsAsDns()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Generous });

        var result = await downloader.DownloadAsync(new Request("http://nonexistent.invalid/"), None);

        result.Error.ShouldBe(DownloadError.Dns, result.Message);
        result.Message.ShouldNotBeNull().ShouldContain("nonexistent.invalid");
    }

    [Fact]
    public async Task InvalidMethod_FailsAsInvalidRequest()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/html")) { Method = "GE T" }, None);

        result.Error.ShouldBe(DownloadError.InvalidRequest, result.Message);
        result.ErrorKind.ShouldBe("invalid_request");
        result.IsTransient.ShouldBeFalse();
    }

    [Fact]
    public async Task HeaderValueWithNewline_FailsAsInvalidRequest()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var request = new Request(server.Url("/echo"))
        {
            Headers = new(StringComparer.OrdinalIgnoreCase) { ["X-Evil"] = "a\r\nX-Injected: 1" },
        };

        var result = await downloader.DownloadAsync(request, None);

        result.Error.ShouldBe(DownloadError.InvalidRequest, result.Message);
    }

    [Fact]
    public async Task FailureMessages_LeaveOutPasswordAndQuery()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = TimeSpan.FromMilliseconds(300) });
        var url = new UriBuilder(server.Url("/slow")) { UserName = "user", Password = "hunter2", Query = "token=s3cret" }.Uri;

        var result = await downloader.DownloadAsync(new Request(url), None);

        result.Error.ShouldBe(DownloadError.Timeout);
        result.Message.ShouldNotBeNull().ShouldContain(server.Url("/slow").ToString());
        result.Message.ShouldNotContain("hunter2");
        result.Message.ShouldNotContain("s3cret");
    }

    [Fact]
    public async Task Dispose_ThenDownload_Throws()
    {
        var downloader = new HttpDownloader(new DownloaderOptions());
        downloader.Dispose();
        downloader.Dispose();

        await Should.ThrowAsync<ObjectDisposedException>(async () => await downloader.DownloadAsync(new Request(server.Url("/html")), None));
    }

    [Fact]
    public async Task Dispose_DuringADownload_EndsItAsAResult()
    {
        var downloader = new HttpDownloader(new DownloaderOptions());
        var pending = downloader.DownloadAsync(new Request(server.Url("/slow")), None).AsTask();

        // Never answers before /slow's 10 s are up, so the download is still under way here, whether or not it has
        // reached the server yet.
        pending.IsCompleted.ShouldBeFalse();
        downloader.Dispose();
        var result = await pending.WaitAsync(Generous);

        result.Error.ShouldBe(DownloadError.Cancelled, result.Message);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheOption()
    {
        var exception = Should.Throw<ArgumentException>(() => new HttpDownloader(new DownloaderOptions { MaxRedirects = -1 }));

        exception.Message.ShouldContain("Downloader.MaxRedirects");
    }

    [Fact]
    public async Task Response_BodyIsExactSize()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/html")), None);

        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(result.Response!.Body, out var segment).ShouldBeTrue();
        segment.Offset.ShouldBe(0);
        segment.Array!.Length.ShouldBe(Encoding.UTF8.GetByteCount(DownloaderServer.Html));
    }
}
