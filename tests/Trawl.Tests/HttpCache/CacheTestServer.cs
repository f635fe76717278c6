using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trawl.Tests.Support;

namespace Trawl.Tests.HttpCache;

/// <summary>
/// A Kestrel server on 127.0.0.1 whose pages carry the caching headers the HTTP cache tests need. Each page's body
/// says how many times it was served, and which version of it that is, so a test can tell a stored copy from a fresh one.
/// </summary>
public sealed class CacheTestServer : IAsyncDisposable
{
    private static readonly DateTimeOffset LongAgo = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _served = new();
    private readonly ConcurrentQueue<string> _conditional = new();

    private CacheTestServer(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The version <c>/etag</c> and <c>/last-modified-etag</c> serve; change it to change the page.</summary>
    public int Version { get; set; } = 1;

    /// <summary>How many full responses (not 304s) each path got.</summary>
    public int Served(string path) => _served.GetValueOrDefault(path);

    /// <summary>The paths that received a conditional request, in order, with the answer: <c>/etag 304</c>.</summary>
    public IReadOnlyList<string> Conditional => [.. _conditional];

    public Uri Url(string pathAndQuery) => new(BaseUrl, pathAndQuery);

    public static async Task<CacheTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new CacheTestServer(app);
        server.Map();
        await app.StartAsync();
        server.BaseUrl = app.BaseUrl();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map()
    {
        _app.MapGet("/plain", (HttpContext context) => Page(context, "plain"));
        _app.MapGet("/max-age/{seconds:int}", (HttpContext context, int seconds) =>
        {
            context.Response.Headers.CacheControl = $"max-age={seconds}";
            return Page(context, "max-age");
        });
        _app.MapGet("/expires", (HttpContext context) =>
        {
            context.Response.Headers.Expires = DateTimeOffset.UtcNow.AddHours(1).ToString("r");
            return Page(context, "expires");
        });
        _app.MapGet("/last-modified", (HttpContext context) =>
        {
            // Ten days old with no explicit freshness: a heuristic lifetime of a day (10% of its age).
            context.Response.Headers.LastModified = DateTimeOffset.UtcNow.AddDays(-10).ToString("r");
            return Page(context, "last-modified");
        });
        _app.MapGet("/etag", (HttpContext context) => Validated(context, "etag", etag: true, lastModified: false));
        _app.MapGet("/last-modified-only", (HttpContext context) => Validated(context, "last-modified-only", etag: false, lastModified: true));
        _app.MapGet("/no-store", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return Page(context, "no-store");
        });
        _app.MapGet("/vary", (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "max-age=3600";
            context.Response.Headers.Vary = "Accept-Language";
            return Page(context, "vary:" + context.Request.Headers.AcceptLanguage);
        });
        _app.MapGet("/vary-star", (HttpContext context) =>
        {
            context.Response.Headers.Vary = "*";
            return Page(context, "vary-star");
        });
        _app.MapGet("/set-cookie", (HttpContext context) =>
        {
            context.Response.Headers.SetCookie = "session=secret; Path=/";
            return Page(context, "set-cookie");
        });
        _app.MapGet("/status/{code:int}", (HttpContext context, int code) =>
        {
            context.Response.StatusCode = code;
            return Page(context, "status");
        });
    }

    private IResult Page(HttpContext context, string name)
    {
        var count = _served.AddOrUpdate(context.Request.Path.Value!, 1, static (_, n) => n + 1);
        return Results.Content($"<html><head><title>{name}</title></head><body><p id=count>{count}</p><p id=version>{Version}</p></body></html>", "text/html; charset=utf-8");
    }

    private IResult Validated(HttpContext context, string name, bool etag, bool lastModified)
    {
        var tag = $"\"v{Version}\"";
        var modified = LongAgo.AddDays(Version);
        context.Response.Headers.CacheControl = "no-cache";
        if (etag)
        {
            context.Response.Headers.ETag = tag;
        }

        if (lastModified)
        {
            context.Response.Headers.LastModified = modified.ToString("r");
        }

        var request = context.Request.Headers;
        if (request.IfNoneMatch.Count > 0 || request.IfModifiedSince.Count > 0)
        {
            var unchanged = etag
                ? request.IfNoneMatch.ToString() == tag
                : DateTimeOffset.TryParse(request.IfModifiedSince.ToString(), out var since) && since >= modified;
            _conditional.Enqueue($"{context.Request.Path} {(unchanged ? 304 : 200)}");
            if (unchanged)
            {
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
        }

        return Page(context, name);
    }
}
