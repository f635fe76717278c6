using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trawl.Tests.Support;

namespace Trawl.Tests.Downloader;

/// <summary>A Kestrel server on 127.0.0.1 with the endpoints the downloader tests need.</summary>
public sealed class DownloaderServer : IAsyncLifetime
{
    public const string Html = "<!doctype html><html><head><title>Hello</title></head><body><p>Hello, crawler.</p></body></html>";

    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;

    public Uri Url(string pathAndQuery) => new(BaseUrl, pathAndQuery);

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Limits.MaxResponseBufferSize = null).UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        Map(app);
        await app.StartAsync();
        BaseUrl = app.BaseUrl();
        _app = app;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>The body <c>/sized?size=N</c> serves.</summary>
    public static byte[] Sized(int size)
    {
        var body = new byte[size];
        for (var i = 0; i < size; i++)
        {
            body[i] = (byte)(i % 251);
        }

        return body;
    }

    private static void Map(WebApplication app)
    {
        app.MapGet("/html", () => Results.Content(Html, "text/html; charset=utf-8"));
        app.MapGet("/status/{code:int}", (int code) => Results.Text($"status {code}", "text/plain", statusCode: code));

        // Echoes method, headers and body as JSON: {"method":"…","headers":{"name":"value"},"body":"…"}.
        app.Map("/echo", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            await context.Response.WriteAsJsonAsync(new { method = context.Request.Method, headers, body }, context.RequestAborted);
        });

        // /redirect/3 → /redirect/2 → /redirect/1 → /html, relative Locations except the last, which is absolute.
        app.MapGet("/redirect/{n:int}", (HttpContext context, int n) =>
        {
            var location = n <= 1 ? $"http://{context.Request.Host}/html" : $"/redirect/{n - 1}";
            return Results.Redirect(location);
        });
        app.Map("/see-other", () => new RedirectWithStatus("/echo", 303));
        app.Map("/temporary", () => new RedirectWithStatus("/echo", 307));
        app.Map("/moved", () => new RedirectWithStatus("/echo", 301));
        app.MapGet("/loop/a", () => Results.Redirect("/loop/b"));
        app.MapGet("/loop/b", () => Results.Redirect("/loop/a"));
        app.MapGet("/self", () => Results.Redirect("/self"));
        app.MapGet("/to-ftp", () => Results.Redirect("ftp://files.example/pub/file.txt"));
        app.MapGet("/offsite", () => Results.Redirect("http://elsewhere.example/landing?session=secret"));
        app.MapGet("/to-localhost", (HttpContext context) => new RedirectWithStatus($"http://localhost:{context.Connection.LocalPort}/echo", 307));
        app.MapGet("/no-location", () => Results.StatusCode(302));

        app.MapGet("/set-cookie", (HttpContext context) =>
        {
            context.Response.Headers.Append("Set-Cookie", "session=abc123; Path=/");
            return Results.Redirect("/echo");
        });

        app.MapGet("/gzip", (HttpContext context) => Encoded(context, "gzip", s => new GZipStream(s, CompressionLevel.Fastest)));
        app.MapGet("/deflate", (HttpContext context) => Encoded(context, "deflate", s => new ZLibStream(s, CompressionLevel.Fastest)));
        app.MapGet("/brotli", (HttpContext context) => Encoded(context, "br", s => new BrotliStream(s, CompressionLevel.Fastest)));
        app.MapGet("/bad-gzip", async (HttpContext context) =>
        {
            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentType = "text/html";
            await context.Response.Body.WriteAsync("this is not gzip at all, not even close"u8.ToArray(), context.RequestAborted);
        });
        app.MapGet("/bad-brotli", async (HttpContext context) =>
        {
            context.Response.Headers.ContentEncoding = "br";
            context.Response.ContentType = "text/html";
            await context.Response.Body.WriteAsync(Enumerable.Repeat((byte)0xFF, 64).ToArray(), context.RequestAborted);
        });
        app.MapGet("/gzip-bomb", async (HttpContext context) =>
        {
            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.ContentType = "text/html";
            await context.Response.Body.WriteAsync(GzipBomb.Value, context.RequestAborted);
        });

        app.MapGet("/slow", async (HttpContext context) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted);
            return Results.Text("late");
        });

        // Headers at once, then one byte every 100 ms for 10 s.
        app.MapGet("/trickle", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain";
            for (var i = 0; i < 100 && !context.RequestAborted.IsCancellationRequested; i++)
            {
                await context.Response.Body.WriteAsync("x"u8.ToArray(), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(100, context.RequestAborted);
            }
        });

        // Chunked (no Content-Length): ?size=bytes.
        app.MapGet("/chunked", async (HttpContext context, int size) =>
        {
            context.Response.ContentType = "application/octet-stream";
            var chunk = new byte[64 * 1024];
            chunk.AsSpan().Fill((byte)'a');
            for (var left = size; left > 0 && !context.RequestAborted.IsCancellationRequested; left -= chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk.AsMemory(0, Math.Min(left, chunk.Length)), context.RequestAborted);
            }
        });

        // With a Content-Length: ?size=bytes, each byte its offset mod 251, so a misplaced byte shows.
        app.MapGet("/sized", (int size) => Results.Bytes(Sized(size), "application/octet-stream"));

        // Announces 2 GB, sends a little, then stalls: only a client that trusts the header fails fast.
        app.MapGet("/huge-announced", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = 2_000_000_000;
            await context.Response.Body.WriteAsync(new byte[1024], context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        });

        // Sends part of a chunked body, then drops the connection.
        app.MapGet("/reset", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/html";
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("<html><body>partial"), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(50, context.RequestAborted);
            context.Abort();
        });

        app.MapGet("/connection", (HttpContext context) => Results.Text(context.Connection.Id));
    }

    private static async Task Encoded(HttpContext context, string encoding, Func<Stream, Stream> compressor)
    {
        var compressed = new MemoryStream();
        await using (var stream = compressor(compressed))
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(Html), context.RequestAborted);
        }

        // The compressor closed the MemoryStream; ToArray still works on a closed one.
        var bytes = compressed.ToArray();
        context.Response.Headers.ContentEncoding = encoding;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    // 64 MiB of zeros, about 64 KiB compressed.
    private static readonly Lazy<byte[]> GzipBomb = new(() =>
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(zeros);
            }
        }

        return compressed.ToArray();
    });

    private sealed class RedirectWithStatus(string location, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }

    /// <summary>Returns a port on 127.0.0.1 that nothing listens on: bound once, then closed.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// Serves one connection on a raw socket: reads the request head, writes <paramref name="reply"/> as is, and closes.
    /// For replies Kestrel would never send.
    /// </summary>
    public static (Uri Url, Task Served) ServeRawOnce(byte[] reply)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/raw");
        return (url, Serve());

        async Task Serve()
        {
            try
            {
                using var client = await listener.AcceptTcpClientAsync();
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var head = new StringBuilder();
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                await stream.WriteAsync(reply);
                await stream.FlushAsync();
            }
            finally
            {
                listener.Stop();
            }
        }
    }

    public static JsonElement ParseEcho(Trawl.Http.Response response) => JsonDocument.Parse(response.Body).RootElement.Clone();
}

[CollectionDefinition(Name)]
public sealed class DownloaderServerCollection : ICollectionFixture<DownloaderServer>
{
    public const string Name = "Downloader server";
}
