using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trawl.Cli;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Downloader;

/// <summary>HTTP/2 against Kestrel: over TLS where offered, off with <c>--no-http2</c>, and cleartext with prior knowledge.</summary>
public sealed class Http2Tests
{
    [Fact]
    public async Task Crawl_OverTls_UsesHttp2WhereTheServerOffersIt_AndHttp11WithNoHttp2()
    {
        using var temp = new TempDirectory();
        var certificates = await TestCertificates.CreateAsync(temp.Path);
        await using var site = await Http2Site.StartAsync(HttpProtocols.Http1AndHttp2, certificates);

        var http2 = await CrawlInChildAsync(temp, certificates, site.BaseUrl, "h2.jsonl");
        var http11 = await CrawlInChildAsync(temp, certificates, site.BaseUrl, "h1.jsonl", "--no-http2");

        http2.Count.ShouldBe(Http2Site.Paths.Length);
        http2.ShouldAllBe(item => item["protocol"]!.GetValue<string>() == "HTTP/2");
        http11.Count.ShouldBe(Http2Site.Paths.Length);
        http11.ShouldAllBe(item => item["protocol"]!.GetValue<string>() == "HTTP/1.1");
    }

    [Fact]
    public async Task Crawl_OfACleartextHttp2OnlyServer_NeedsPriorKnowledge()
    {
        await using var site = await Http2Site.StartAsync(HttpProtocols.Http2, certificates: null);
        using var temp = new TempDirectory();

        var without = await CliRunner.RunAsync(Args(site.BaseUrl, temp.File("without.jsonl")));
        var with = await CliRunner.RunAsync([.. Args(site.BaseUrl, temp.File("with.jsonl")), "--http2-prior-knowledge"]);

        without.ExitCode.ShouldBe(ExitCodes.StartFailed, without.Error);
        File.ReadAllText(temp.File("without.jsonl")).ShouldBeEmpty();
        without.Output.ShouldContain("1 failed");
        with.ExitCode.ShouldBe(ExitCodes.Finished, with.Error);
        var items = File.ReadAllLines(temp.File("with.jsonl")).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        items.Count.ShouldBe(Http2Site.Paths.Length);
        items.ShouldAllBe(item => item["protocol"]!.GetValue<string>() == "HTTP/2");
    }

    [Fact]
    public async Task Downloader_WithPriorKnowledge_SpeaksHttp2ToACleartextServer()
    {
        await using var site = await Http2Site.StartAsync(HttpProtocols.Http2, certificates: null);
        using var downloader = new HttpDownloader(new DownloaderOptions { Http2PriorKnowledge = true });

        var result = await downloader.DownloadAsync(new Request(new Uri(site.BaseUrl, "/a")), CancellationToken.None);

        var response = result.Response.ShouldNotBeNull(result.Message);
        response.Css("#protocol::text").Get().ShouldBe("HTTP/2");
    }

    [Fact]
    public async Task NoHttp2WithPriorKnowledge_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--no-http2", "--http2-prior-knowledge", "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("--http2-prior-knowledge");
    }

    private static string[] Args(Uri site, string output) =>
        ["crawl", "--start", site.AbsoluteUri, "--field", "protocol=#protocol::text", "-o", output, "--no-job", "--ignore-robots", "--retries", "0", "--no-progress", "--log-level", "warning"];

    // A child process, so that it can trust the test CA through SSL_CERT_FILE as any OpenSSL program does.
    private static async Task<List<JsonObject>> CrawlInChildAsync(TempDirectory temp, TestCertificates certificates, Uri site, string output, params string[] extra)
    {
        using var trawl = CliProcess.Start(temp.Path, new Dictionary<string, string> { ["SSL_CERT_FILE"] = certificates.CaCertificatePath }, [.. Args(site, temp.File(output)), .. extra]);
        (await trawl.WaitAsync(TimeSpan.FromMinutes(2))).ShouldBe(ExitCodes.Finished, trawl.Error);
        trawl.Output.ShouldContain("0 failed", customMessage: trawl.Output + trawl.Error);
        return [.. File.ReadAllLines(temp.File(output)).Select(line => JsonNode.Parse(line)!.AsObject())];
    }

    /// <summary>Four linked pages that say which protocol each request came with, on Kestrel with the protocols asked for.</summary>
    private sealed class Http2Site : IAsyncDisposable
    {
        public static readonly string[] Paths = ["/", "/a", "/b", "/c"];

        private readonly WebApplication _app;

        private Http2Site(WebApplication app, Uri baseUrl)
        {
            _app = app;
            BaseUrl = baseUrl;
        }

        public Uri BaseUrl { get; }

        public static async Task<Http2Site> StartAsync(HttpProtocols protocols, TestCertificates? certificates)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Protocols = protocols;
                if (certificates is not null)
                {
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(certificates.ServerCertificatePath, certificates.ServerKeyPath));
                }
            }));
            var app = builder.Build();
            app.Run(context =>
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                var links = string.Concat(Paths.Select(path => $"<a href=\"{path}\">{path}</a>"));
                return context.Response.WriteAsync($"<html><body><h1>{context.Request.Path}</h1><p id=protocol>{context.Request.Protocol}</p>{links}</body></html>", context.RequestAborted);
            });
            await app.StartAsync();
            var port = app.BaseUrl().Port;
            return new Http2Site(app, new Uri($"{(certificates is null ? "http" : "https")}://127.0.0.1:{port}/"));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
