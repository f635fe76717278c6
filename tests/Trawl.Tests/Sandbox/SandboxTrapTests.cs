using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text;
using Trawl.Sandbox;
using Trawl.Sandbox.Traps;
using Trawl.Tests.Support;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxTrapTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public void Traps_AreAllRegistered()
    {
        TrapEndpoints.Handlers.Keys.ShouldBe(
            ["status", "slow", "hang", "large", "redirect", "redirect-loop", "gzip-bomb", "reset", "links", "charset",
                "flaky", "trickle", "redirect-to", "bad-links", "content"],
            ignoreOrder: true);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(404)]
    [InlineData(410)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Status_AnswersWithThatCode(int code)
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url($"/trap/status/{code}"));

        ((int)response.StatusCode).ShouldBe(code);
        (await response.Content.ReadAsStringAsync()).ShouldContain($"<h1>Status {code}</h1>");
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
    }

    [Fact]
    public async Task Status_WithRetryAfter_SendsHeader()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/status/429?retry-after=7"));

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task Status_NoContent_HasNoBody()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/status/204"));

        response.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await response.Content.ReadAsByteArrayAsync()).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("/trap/status/abc")]
    [InlineData("/trap/status/700")]
    [InlineData("/trap/status/101")]
    [InlineData("/trap/status")]
    [InlineData("/trap/slow?ms=-5")]
    [InlineData("/trap/large?mb=x")]
    [InlineData("/trap/redirect/0")]
    [InlineData("/trap/redirect/2?status=200")]
    [InlineData("/trap/links?n=-1")]
    [InlineData("/trap/charset/utf-8?declare=nowhere")]
    [InlineData("/trap/charset/utf-8?label=%3Cscript%3E")]
    [InlineData("/trap/flaky/k?fail=-1")]
    [InlineData("/trap/flaky/k?status=404")]
    [InlineData("/trap/flaky/k?status=200")]
    [InlineData("/trap/trickle?bytes=0")]
    [InlineData("/trap/trickle?ms=0")]
    [InlineData("/trap/redirect-to")]
    [InlineData("/trap/redirect-to?url=/pages/1&status=200")]
    public async Task BadArguments_Return400(string path)
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url(path));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Slow_AnswersAfterWaiting()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/slow?ms=30"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldContain("Slept 30 ms");
    }

    [Fact]
    public async Task Slow_ClientGivesUp_RequestIsCancelled()
    {
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(
            () => sandbox.Client.GetAsync(sandbox.Url("/trap/slow?ms=600000"), giveUp.Token));
    }

    [Fact]
    public async Task Hang_IsStillPendingWhenClientGivesUp()
    {
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(
            () => sandbox.Client.GetAsync(sandbox.Url("/trap/hang?who=gives-up"), HttpCompletionOption.ResponseHeadersRead, giveUp.Token));
    }

    [Fact]
    public async Task Hang_ServerStops_DropsTheConnection()
    {
        var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 2 }, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);

        var pending = client.GetAsync(new Uri(server.BaseUrl, "/trap/hang"), HttpCompletionOption.ResponseHeadersRead);
        // Stopped once the request hangs there: stopped before, the connection is refused rather than dropped.
        await Waiting.UntilAsync(() => server.TotalRequests > 0, Waiting.Generous, "the hanging request");
        await server.DisposeAsync();

        await Should.ThrowAsync<HttpRequestException>(pending);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Large_StreamsExactlyThatManyMebibytes_WithoutContentLength(int mb)
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url($"/trap/large?mb={mb}"), HttpCompletionOption.ResponseHeadersRead);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentLength.ShouldBeNull();
        response.Headers.TransferEncodingChunked.ShouldBe(true);
        var body = await response.Content.ReadAsByteArrayAsync();
        body.Length.ShouldBe(mb << 20);
        if (mb > 0)
        {
            Encoding.ASCII.GetString(body, 0, 15).ShouldBe("<!DOCTYPE html>");
            Encoding.ASCII.GetString(body, body.Length - 8, 8).ShouldBe("</html>\n");
        }
    }

    [Fact]
    public async Task Redirect_FollowsChainOfN_ToFirstPage()
    {
        var hops = new List<string>();
        var url = "/trap/redirect/4";
        while (true)
        {
            using var response = await sandbox.Client.GetAsync(sandbox.Url(url));
            if (response.StatusCode != HttpStatusCode.Found)
            {
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
                break;
            }

            hops.Add(url);
            url = response.Headers.Location!.OriginalString;
        }

        hops.ShouldBe(["/trap/redirect/4", "/trap/redirect/3", "/trap/redirect/2", "/trap/redirect/1"]);
        url.ShouldBe("/pages/0");
    }

    [Fact]
    public async Task Redirect_KeepsChosenStatusAlongTheChain()
    {
        using var first = await sandbox.Client.GetAsync(sandbox.Url("/trap/redirect/2?status=301"));
        using var second = await sandbox.Client.GetAsync(new Uri(sandbox.Url("/"), first.Headers.Location!));

        first.StatusCode.ShouldBe(HttpStatusCode.MovedPermanently);
        first.Headers.Location!.OriginalString.ShouldBe("/trap/redirect/1?status=301");
        second.StatusCode.ShouldBe(HttpStatusCode.MovedPermanently);
        second.Headers.Location!.OriginalString.ShouldBe("/pages/0");
    }

    [Fact]
    public async Task Redirect_AutoFollowingClient_LandsOnFirstPage()
    {
        using var client = SandboxFixture.NewClient(followRedirects: true);

        using var response = await client.GetAsync(sandbox.Url("/trap/redirect/3?via=auto"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.RequestMessage!.RequestUri!.AbsolutePath.ShouldBe("/pages/0");
        sandbox.Server.FetchCount("/trap/redirect/3?via=auto").ShouldBe(1);
        sandbox.Server.FetchCount("/trap/redirect/1?via=auto").ShouldBe(1);
    }

    [Fact]
    public async Task RedirectLoop_RedirectsToItself()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/redirect-loop?probe=manual"));

        response.StatusCode.ShouldBe(HttpStatusCode.Found);
        response.Headers.Location!.OriginalString.ShouldBe("/trap/redirect-loop?probe=manual");
    }

    [Fact]
    public async Task RedirectLoop_ClientStopsAtItsLimit()
    {
        using var client = SandboxFixture.NewClient(followRedirects: true, maxRedirects: 5);

        using var response = await client.GetAsync(sandbox.Url("/trap/redirect-loop?probe=auto"));

        response.StatusCode.ShouldBe(HttpStatusCode.Found);
        sandbox.Server.FetchCount("/trap/redirect-loop?probe=auto").ShouldBe(6);
    }

    [Fact]
    public async Task GzipBomb_IsSmallGzipThatClaimsOneGibibyte()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/gzip-bomb"), HttpCompletionOption.ResponseHeadersRead);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentEncoding.ShouldBe(["gzip"]);
        var length = response.Content.Headers.ContentLength!.Value;
        length.ShouldBeLessThan(2L << 20);
        var body = await response.Content.ReadAsByteArrayAsync();
        body.Length.ShouldBe((int)length);
        body[0].ShouldBe((byte)0x1f);
        body[1].ShouldBe((byte)0x8b);
        // The gzip trailer ends with the inflated size modulo 2^32.
        BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(body.Length - 4)).ShouldBe((uint)(1L << 30));
        await using var inflating = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        var prefix = new byte[1 << 20];
        await inflating.ReadExactlyAsync(prefix);
        prefix.ShouldAllBe(b => b == 0);
    }

    [Fact]
    public async Task Reset_ReadingTheBodyFails()
    {
        var error = await Should.ThrowAsync<Exception>(async () =>
        {
            using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/reset"), HttpCompletionOption.ResponseHeadersRead);
            await response.Content.ReadAsByteArrayAsync();
        });

        error.ShouldSatisfyAllConditions(
            () => (error is HttpRequestException or IOException).ShouldBeTrue(error.ToString()));
    }

    [Fact]
    public async Task Links_ServesThatManyLinksToPages()
    {
        var page = sandbox.Url("/trap/links?n=450");
        var html = await sandbox.Client.GetStringAsync(page);

        var hrefs = HtmlScan.Hrefs(html);
        hrefs.Count.ShouldBe(450);
        hrefs.Select(h => HtmlScan.Resolve(page, h).AbsolutePath)
            .ShouldBe(Enumerable.Range(0, 450).Select(k => $"/pages/{k % sandbox.Options.Pages}"));
    }

    public static TheoryData<string, string> CharsetCases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var name in SandboxSite.CharsetNames)
        {
            cases.Add(name, "header");
            cases.Add(name, "meta");
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(CharsetCases))]
    public async Task Charset_BytesAreInThatEncoding_DeclaredWhereAsked(string name, string declare)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var encoding = Encoding.GetEncoding(name, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        var sample = SandboxSite.CharsetSample(name);

        using var response = await sandbox.Client.GetAsync(sandbox.Url($"/trap/charset/{name}?declare={declare}"));
        var body = await response.Content.ReadAsByteArrayAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        sample.ShouldContain(c => c > 127);
        body.AsSpan().IndexOf(encoding.GetBytes(sample)).ShouldBeGreaterThan(0);
        encoding.GetString(body).ShouldContain($"<p id=\"sample\">{sample}</p>");
        if (name != "utf-8")
        {
            Should.Throw<DecoderFallbackException>(() => new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body));
        }

        var contentType = response.Content.Headers.ContentType!;
        contentType.MediaType.ShouldBe("text/html");
        var meta = $"<meta charset=\"{name}\">";
        if (declare == "header")
        {
            contentType.CharSet.ShouldBe(name);
            Encoding.ASCII.GetString(body).ShouldNotContain(meta);
        }
        else
        {
            contentType.CharSet.ShouldBeNull();
            Encoding.ASCII.GetString(body).ShouldContain(meta);
        }
    }

    [Fact]
    public async Task Charset_Unknown_Returns404()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/charset/ebcdic-klingon"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        Should.Throw<ArgumentException>(() => SandboxSite.CharsetSample("ebcdic-klingon"));
    }
}

public sealed class SandboxNewTrapTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task Flaky_FailsTheFirstNRequestsOfAKey_ThenRecovers(int status)
    {
        var key = $"burst-{status}";
        var codes = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await sandbox.Client.GetAsync(sandbox.Url($"/trap/flaky/{key}?fail=3&status={status}&retry-after=2&try={i}"));
            codes.Add((int)response.StatusCode);
            if (i < 3)
            {
                response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(2));
            }
            else
            {
                (await response.Content.ReadAsStringAsync()).ShouldContain($"<h1>Recovered {key}</h1>");
            }
        }

        codes.ShouldBe([status, status, status, 200, 200]);
    }

    [Fact]
    public async Task Flaky_CountsEachKeyOnItsOwn()
    {
        using var a = await sandbox.Client.GetAsync(sandbox.Url("/trap/flaky/own-a?fail=1"));
        using var b = await sandbox.Client.GetAsync(sandbox.Url("/trap/flaky/own-b?fail=1"));
        using var again = await sandbox.Client.GetAsync(sandbox.Url("/trap/flaky/own-a?fail=1"));

        a.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        b.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Trickle_SendsHeadersAtOnce_ThenTheAnnouncedBytesOneAtATime()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/trickle?bytes=5&ms=20"), HttpCompletionOption.ResponseHeadersRead);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentLength.ShouldBe(5);
        await using var body = await response.Content.ReadAsStreamAsync();
        var reads = new List<int>();
        var buffer = new byte[64];
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            reads.Add(read);
        }

        reads.Sum().ShouldBe(5);
        reads.Count.ShouldBeGreaterThan(1);
    }

    [Fact]
    public async Task Trickle_ClientGivesUp_RequestIsCancelled()
    {
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/trickle?who=gives-up"), HttpCompletionOption.ResponseHeadersRead, giveUp.Token);
            await response.Content.ReadAsByteArrayAsync(giveUp.Token);
        });
    }

    [Fact]
    public async Task RedirectTo_RedirectsAnywhere()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/redirect-to?url=http://other.invalid/x%3Fy&status=301"));

        response.StatusCode.ShouldBe(HttpStatusCode.MovedPermanently);
        response.Headers.Location!.OriginalString.ShouldBe("http://other.invalid/x?y");
    }

    [Fact]
    public async Task BadLinks_ListsEveryLink_MarkedFollowOrSkip()
    {
        var html = await sandbox.GetStringAsync("/trap/bad-links");

        var hrefs = HtmlScan.Hrefs(html);
        hrefs.Count.ShouldBe(TrapEndpoints.BadLinks.Count + 2);
        html.ShouldNotContain("{origin}");
        html.ShouldNotContain("{authority}");
        html.ShouldContain($"href=\"{sandbox.Server.BaseUrl.AbsoluteUri}pages/5\"");
        html.ShouldContain($"href=\"//{sandbox.Server.BaseUrl.Authority}/pages/6\"");
        html.ShouldContain("javascript:alert(1)");
        System.Text.RegularExpressions.Regex.Count(html, "class=\"follow\"").ShouldBe(TrapEndpoints.BadLinks.Count(link => link.Path is not null));
        System.Text.RegularExpressions.Regex.Count(html, "class=\"skip\"").ShouldBe(TrapEndpoints.BadLinks.Count(link => link.Path is null));
    }

    [Theory]
    [InlineData("json", "application/json")]
    [InlineData("png", "image/png")]
    [InlineData("pdf", "application/pdf")]
    [InlineData("text", "text/plain")]
    [InlineData("xml", "application/xml")]
    [InlineData("octet-stream", "application/octet-stream")]
    [InlineData("untyped-html", null)]
    [InlineData("untyped-binary", null)]
    public async Task Content_ServesThatKind_WithItsContentType(string kind, string? mediaType)
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url($"/trap/content/{kind}"));
        var body = await response.Content.ReadAsByteArrayAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType?.MediaType.ShouldBe(mediaType);
        body.Length.ShouldBe((int)response.Content.Headers.ContentLength!.Value);
        Encoding.UTF8.GetString(body).ShouldContain("<a href=");
        if (kind is "png" or "untyped-binary")
        {
            body.AsSpan(0, 8).ToArray().ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A });
        }
    }

    [Fact]
    public async Task Content_UnknownKind_Returns404()
    {
        using var response = await sandbox.Client.GetAsync(sandbox.Url("/trap/content/flash"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        TrapEndpoints.ContentKinds.ShouldNotContain("flash");
    }

    [Theory]
    [InlineData("header")]
    [InlineData("meta")]
    public async Task Charset_WithALabel_DeclaresTheLabel_ButEncodesInTheRealCharset(string declare)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var sample = SandboxSite.CharsetSample("koi8-r");

        using var response = await sandbox.Client.GetAsync(sandbox.Url($"/trap/charset/koi8-r?declare={declare}&label=windows-1252"));
        var body = await response.Content.ReadAsByteArrayAsync();

        Encoding.GetEncoding("koi8-r").GetString(body).ShouldContain(sample);
        if (declare == "header")
        {
            response.Content.Headers.ContentType!.CharSet.ShouldBe("windows-1252");
        }
        else
        {
            Encoding.ASCII.GetString(body).ShouldContain("<meta charset=\"windows-1252\">");
        }
    }

    [Fact]
    public async Task SilentServer_AcceptsTheConnection_AndNeverAnswers()
    {
        await using var silent = SilentServer.Start();
        using var client = SandboxFixture.NewClient(followRedirects: false);
        using var giveUp = new CancellationTokenSource();
        var pending = client.GetAsync(new Uri(silent.BaseUrl, "/anything"), giveUp.Token);

        // Given up only once the server has the connection, however long a busy machine takes to get there.
        await Waiting.UntilAsync(() => silent.Connections == 1 || pending.IsCompleted, Waiting.Generous, "the connection");
        pending.IsCompleted.ShouldBeFalse("no answer comes");
        await giveUp.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => pending);
        silent.Connections.ShouldBe(1);
    }

    [Fact]
    public async Task SilentServer_Dispose_DropsOpenConnections()
    {
        var silent = SilentServer.Start();
        using var client = SandboxFixture.NewClient(followRedirects: false);
        var pending = client.GetAsync(silent.BaseUrl);
        while (silent.Connections == 0)
        {
            await Task.Delay(10);
        }

        await silent.DisposeAsync();

        await Should.ThrowAsync<HttpRequestException>(pending);
    }
}
