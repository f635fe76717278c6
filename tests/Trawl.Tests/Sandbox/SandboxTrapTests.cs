using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text;
using Trawl.Sandbox;
using Trawl.Sandbox.Traps;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxTrapTests(SandboxFixture sandbox) : IClassFixture<SandboxFixture>
{
    [Fact]
    public void Traps_AreAllRegistered()
    {
        TrapEndpoints.Handlers.Keys.ShouldBe(
            ["status", "slow", "hang", "large", "redirect", "redirect-loop", "gzip-bomb", "reset", "links", "charset"],
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
