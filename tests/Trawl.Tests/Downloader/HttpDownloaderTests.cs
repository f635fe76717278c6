using System.Net;
using System.Text;
using Trawl.Downloader;
using Trawl.Http;

namespace Trawl.Tests.Downloader;

[Collection(DownloaderServerCollection.Name)]
public sealed class HttpDownloaderTests(DownloaderServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Get_Html_ReturnsBodyStatusAndHeaders()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/html")), None);

        result.Error.ShouldBe(DownloadError.None, result.Message);
        var response = result.Response!;
        response.Status.ShouldBe(200);
        Encoding.UTF8.GetString(response.Body.Span).ShouldBe(DownloaderServer.Html);
        response.Url.ShouldBe(server.Url("/html"));
        response.RedirectChain.ShouldBeEmpty();
        response.Headers["content-type"].ShouldBe(["text/html; charset=utf-8"]);
        response.Headers["Content-Length"].ShouldBe([Encoding.UTF8.GetByteCount(DownloaderServer.Html).ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        response.Headers.ContainsKey("DATE").ShouldBeTrue();
    }

    [Theory]
    [InlineData(404)]
    [InlineData(503)]
    public async Task Get_ErrorStatus_IsAResponseNotAFailure(int status)
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url($"/status/{status}")), None);

        result.IsSuccess.ShouldBeTrue(result.Message);
        result.Response!.Status.ShouldBe(status);
        Encoding.UTF8.GetString(result.Response.Body.Span).ShouldBe($"status {status}");
    }

    [Fact]
    public async Task Headers_DefaultUserAgentAcceptAndLanguage_AreSent()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { UserAgent = "TestBot/2.0" });

        var echo = await EchoAsync(downloader, new Request(server.Url("/echo")));

        echo.GetProperty("method").GetString().ShouldBe("GET");
        var headers = echo.GetProperty("headers");
        headers.GetProperty("User-Agent").GetString().ShouldBe("TestBot/2.0");
        headers.GetProperty("Accept").GetString()!.ShouldStartWith("text/html");
        headers.GetProperty("Accept-Language").GetString().ShouldBe("en");
        headers.GetProperty("Accept-Encoding").GetString()!.ShouldContain("br");
    }

    [Fact]
    public async Task Headers_RequestHeadersOverrideDefaults()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { UserAgent = "TestBot/2.0" });
        var request = new Request(server.Url("/echo"))
        {
            Headers = new(StringComparer.OrdinalIgnoreCase)
            {
                ["user-agent"] = "Special/1.0",
                ["Accept"] = "application/json",
                ["X-Custom"] = "custom value",
            },
        };

        var headers = (await EchoAsync(downloader, request)).GetProperty("headers");

        headers.GetProperty("User-Agent").GetString().ShouldBe("Special/1.0");
        headers.GetProperty("Accept").GetString().ShouldBe("application/json");
        headers.GetProperty("X-Custom").GetString().ShouldBe("custom value");
    }

    [Fact]
    public async Task Post_SendsBodyAndContentType()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var request = new Request(server.Url("/echo"))
        {
            Method = "POST",
            Body = "name=trawl&kind=crawler"u8.ToArray(),
            Headers = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "application/x-www-form-urlencoded" },
        };

        var echo = await EchoAsync(downloader, request);

        echo.GetProperty("method").GetString().ShouldBe("POST");
        echo.GetProperty("body").GetString().ShouldBe("name=trawl&kind=crawler");
        echo.GetProperty("headers").GetProperty("Content-Type").GetString().ShouldBe("application/x-www-form-urlencoded");
    }

    [Fact]
    public async Task Head_ReturnsEmptyBody()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/echo")) { Method = "HEAD" }, None);

        result.Response.ShouldNotBeNull(result.Message);
        result.Response.Status.ShouldBe(200);
        result.Response.Body.Length.ShouldBe(0);
    }

    [Fact]
    public async Task Redirects_AreFollowed_AndTheChainIsRecorded()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/redirect/3")), None);

        result.Response.ShouldNotBeNull(result.Message);
        result.Response.Status.ShouldBe(200);
        result.Response.Url.ShouldBe(server.Url("/html"));
        result.Response.RedirectChain.ShouldBe([server.Url("/redirect/3"), server.Url("/redirect/2"), server.Url("/redirect/1")]);
        Encoding.UTF8.GetString(result.Response.Body.Span).ShouldBe(DownloaderServer.Html);
    }

    [Fact]
    public async Task Redirects_ExactlyMaxRedirects_Succeeds()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxRedirects = 3 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/redirect/3")), None);

        result.Error.ShouldBe(DownloadError.None, result.Message);
        result.Response!.RedirectChain.Count.ShouldBe(3);
    }

    [Fact]
    public async Task Redirects_MoreThanMaxRedirects_FailsAsRedirects()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxRedirects = 3 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/redirect/4")), None);

        result.Error.ShouldBe(DownloadError.Redirects);
        result.ErrorKind.ShouldBe("redirects");
        result.Message.ShouldNotBeNull().ShouldContain("More than 3 redirects");
    }

    [Fact]
    public async Task Redirects_ZeroMaxRedirects_FailsOnTheFirstRedirect()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxRedirects = 0 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/redirect/1")), None);

        result.Error.ShouldBe(DownloadError.Redirects);
    }

    [Fact]
    public async Task Redirect303_TurnsPostIntoGetWithoutBody()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var request = new Request(server.Url("/see-other"))
        {
            Method = "POST",
            Body = "payload"u8.ToArray(),
            Headers = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "text/plain" },
        };

        var result = await downloader.DownloadAsync(request, None);

        result.Response.ShouldNotBeNull(result.Message);
        var echo = DownloaderServer.ParseEcho(result.Response);
        echo.GetProperty("method").GetString().ShouldBe("GET");
        echo.GetProperty("body").GetString().ShouldBe(string.Empty);
        echo.GetProperty("headers").TryGetProperty("Content-Type", out _).ShouldBeFalse();
        result.Response.RedirectChain.ShouldBe([server.Url("/see-other")]);
    }

    [Fact]
    public async Task Redirect301_TurnsPostIntoGet()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var request = new Request(server.Url("/moved")) { Method = "POST", Body = "payload"u8.ToArray() };

        var echo = await EchoAsync(downloader, request);

        echo.GetProperty("method").GetString().ShouldBe("GET");
        echo.GetProperty("body").GetString().ShouldBe(string.Empty);
    }

    [Fact]
    public async Task Redirect307_KeepsMethodAndBody()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var request = new Request(server.Url("/temporary")) { Method = "POST", Body = "payload"u8.ToArray() };

        var echo = await EchoAsync(downloader, request);

        echo.GetProperty("method").GetString().ShouldBe("POST");
        echo.GetProperty("body").GetString().ShouldBe("payload");
    }

    [Fact]
    public async Task Redirect_Loop_FailsAsRedirectsBeforeTheLimit()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxRedirects = 50 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/loop/a")), None);

        result.Error.ShouldBe(DownloadError.Redirects);
        result.Message.ShouldNotBeNull().ShouldContain("loop");
    }

    [Fact]
    public async Task Redirect_ToItself_FailsAsRedirects()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/self")), None);

        result.Error.ShouldBe(DownloadError.Redirects);
    }

    [Fact]
    public async Task Redirect_ToFtp_FailsAsRedirectBlocked()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/to-ftp")), None);

        result.Error.ShouldBe(DownloadError.RedirectBlocked);
        result.ErrorKind.ShouldBe("redirect_blocked");
        result.Message.ShouldNotBeNull().ShouldContain("ftp://files.example/pub/file.txt");
    }

    [Fact]
    public async Task Redirect_RefusedByFilter_FailsAsRedirectBlockedNamingTheTarget()
    {
        var asked = new List<Uri>();
        using var downloader = new HttpDownloader(new DownloaderOptions())
        {
            RedirectFilter = target =>
            {
                lock (asked)
                {
                    asked.Add(target);
                }

                return target.Host == "127.0.0.1";
            },
        };

        var result = await downloader.DownloadAsync(new Request(server.Url("/offsite")), None);

        result.Error.ShouldBe(DownloadError.RedirectBlocked);
        result.Message.ShouldNotBeNull().ShouldContain("http://elsewhere.example/landing");
        result.Message.ShouldNotContain("secret");
        asked.ShouldBe([new Uri("http://elsewhere.example/landing?session=secret")]);
    }

    [Fact]
    public async Task Redirect_AllowedByFilter_IsFollowed()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions()) { RedirectFilter = target => target.Host == "127.0.0.1" };

        var result = await downloader.DownloadAsync(new Request(server.Url("/redirect/2")), None);

        result.Error.ShouldBe(DownloadError.None, result.Message);
        result.Response!.Url.ShouldBe(server.Url("/html"));
    }

    [Fact]
    public async Task Redirect_FilterThatThrows_BlocksTheRedirect()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions()) { RedirectFilter = _ => throw new InvalidOperationException("boom") };

        var result = await downloader.DownloadAsync(new Request(server.Url("/redirect/1")), None);

        result.Error.ShouldBe(DownloadError.RedirectBlocked);
    }

    [Fact]
    public async Task Redirect_WithoutLocation_IsReturnedAsAResponse()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/no-location")), None);

        result.Response.ShouldNotBeNull(result.Message);
        result.Response.Status.ShouldBe(302);
    }

    [Fact]
    public async Task Redirect_ToAnotherOrigin_DropsAuthorizationAndCookie()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Authorization"] = "Bearer token",
            ["Cookie"] = "mine=1",
            ["X-Kept"] = "yes",
        };

        // Same server under another host name ("localhost" instead of "127.0.0.1"): another origin.
        var crossOrigin = (await EchoAsync(downloader, new Request(server.Url("/to-localhost")) { Headers = new(headers, StringComparer.OrdinalIgnoreCase) })).GetProperty("headers");
        var sameOrigin = (await EchoAsync(downloader, new Request(server.Url("/temporary")) { Headers = new(headers, StringComparer.OrdinalIgnoreCase) })).GetProperty("headers");

        crossOrigin.TryGetProperty("Authorization", out _).ShouldBeFalse();
        crossOrigin.TryGetProperty("Cookie", out _).ShouldBeFalse();
        crossOrigin.GetProperty("X-Kept").GetString().ShouldBe("yes");
        sameOrigin.GetProperty("Authorization").GetString().ShouldBe("Bearer token");
        sameOrigin.GetProperty("Cookie").GetString().ShouldBe("mine=1");
    }

    [Theory]
    [InlineData("/gzip")]
    [InlineData("/deflate")]
    [InlineData("/brotli")]
    public async Task ContentEncoding_IsDecoded(string path)
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url(path)), None);

        result.Response.ShouldNotBeNull(result.Message);
        Encoding.UTF8.GetString(result.Response.Body.Span).ShouldBe(DownloaderServer.Html);
        result.Response.Headers.ContainsKey("Content-Encoding").ShouldBeFalse();
    }

    [Fact]
    public async Task Body_ExactlyAtTheLimit_IsAccepted()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxResponseSize = 300_000 });

        var result = await downloader.DownloadAsync(new Request(server.Url("/chunked?size=300000")), None);

        result.Response.ShouldNotBeNull(result.Message);
        result.Response.Body.Length.ShouldBe(300_000);
        result.Response.Body.Span.IndexOfAnyExcept((byte)'a').ShouldBe(-1);
    }

    [Fact]
    public async Task Body_LargeWithoutContentLength_IsReadWhole()
    {
        // Several pooled segments: checks they are stitched together in order.
        using var downloader = new HttpDownloader(new DownloaderOptions());

        var result = await downloader.DownloadAsync(new Request(server.Url("/chunked?size=5000001")), None);

        result.Response.ShouldNotBeNull(result.Message);
        result.Response.Body.Length.ShouldBe(5_000_001);
        result.Response.Body.Span.IndexOfAnyExcept((byte)'a').ShouldBe(-1);
    }

    [Fact]
    public async Task KeepAlive_SequentialRequests_ReuseOneConnection()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var connections = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < 20; i++)
        {
            var result = await downloader.DownloadAsync(new Request(server.Url("/connection")), None);
            result.Response.ShouldNotBeNull(result.Message);
            connections.Add(Encoding.UTF8.GetString(result.Response.Body.Span));
        }

        connections.Count.ShouldBe(1);
    }

    [Fact]
    public async Task Cookies_FromTheJar_AreStoredAndSentAcrossRedirects()
    {
        var jar = new CookieContainer();
        using var downloader = new HttpDownloader(new DownloaderOptions(), cookies: jar);

        var echo = await EchoAsync(downloader, new Request(server.Url("/set-cookie")));

        echo.GetProperty("headers").GetProperty("Cookie").GetString().ShouldBe("session=abc123");
        jar.GetCookies(server.Url("/"))["session"].ShouldNotBeNull().Value.ShouldBe("abc123");
    }

    [Fact]
    public async Task Cookies_WithoutAJar_OnlyTheRequestsOwnAreSent()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions());
        var request = new Request(server.Url("/set-cookie"))
        {
            Headers = new(StringComparer.OrdinalIgnoreCase) { ["Cookie"] = "mine=1" },
        };

        var echo = await EchoAsync(downloader, request);

        echo.GetProperty("headers").GetProperty("Cookie").GetString().ShouldBe("mine=1");
    }

    [Fact]
    public async Task Download_ManyConcurrent_AllSucceed()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxConnectionsPerServer = 4 });

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            downloader.DownloadAsync(new Request(server.Url(i % 2 == 0 ? "/html" : "/gzip")), None).AsTask()));

        results.ShouldAllBe(r => r.IsSuccess && r.Response!.Body.Length == Encoding.UTF8.GetByteCount(DownloaderServer.Html));
    }

    private static async Task<System.Text.Json.JsonElement> EchoAsync(HttpDownloader downloader, Request request)
    {
        var result = await downloader.DownloadAsync(request, None);
        result.Response.ShouldNotBeNull(result.Message);
        result.Response.Status.ShouldBe(200);
        return DownloaderServer.ParseEcho(result.Response);
    }
}
