using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Trawl.Sandbox.Site;
using Trawl.Sandbox.Sitemaps;
using Trawl.Sandbox.Traps;

namespace Trawl.Sandbox.Hosting;

/// <summary>Answers one request: a page of the site, <c>/robots.txt</c>, the sitemap section, a trap, or 404.</summary>
internal sealed class SandboxRouter(SiteModel site, CancellationToken stopping)
{
    private const string HtmlType = "text/html; charset=utf-8";

    private static readonly byte[] NotFoundBody =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Not found</title>\n</head>\n<body>\n<h1>404 Not Found</h1>\n</body>\n</html>\n"u8.ToArray();

    private readonly TrapState _trapState = new();
    private readonly byte[]? _robots = site.Options.RobotsTxt is { } robots ? System.Text.Encoding.UTF8.GetBytes(robots) : null;

    /// <summary>The sitemap section, under <c>/sitemaps/</c>.</summary>
    public SitemapSection Sitemaps { get; } = new(site.Options.SitemapPages);

    /// <summary>The pages of the site changed since the server started.</summary>
    public PageRevisions Revisions { get; } = new();

    /// <summary>The base URL absolute links start with, ending in <c>/</c>; set once the server knows its port.</summary>
    public string? BaseUrl { get; set; }

    public Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        var path = request.Path.Value ?? "/";
        if (path.StartsWith("/trap/", StringComparison.Ordinal))
        {
            return HandleTrapAsync(context, path);
        }

        if (path.StartsWith("/sitemaps/", StringComparison.Ordinal))
        {
            var origin = (BaseUrl ?? BaseUrlOf(context)).TrimEnd('/');
            return Sitemaps.TryHandle(context, path, origin) ?? NotFoundAsync(context);
        }

        if (path == "/robots.txt")
        {
            return _robots is null ? NotFoundAsync(context) : WriteAsync(context, _robots, "text/plain; charset=utf-8", context.RequestAborted);
        }

        if (site.HasApp && path.StartsWith(AppSection.Prefix, StringComparison.Ordinal))
        {
            return HandleAppAsync(context, path);
        }

        var page = SiteRoutes.Render(site, path, BaseUrl ?? BaseUrlOf(context));
        return page is null ? NotFoundAsync(context) : WritePageAsync(context, page, path);
    }

    // The script-built section (see AppSection): shells, their one script, their JSON, and the session cookie pages.
    private Task HandleAppAsync(HttpContext context, string path)
    {
        const string json = "application/json; charset=utf-8";
        var aborted = context.RequestAborted;
        var rest = path.AsSpan(AppSection.Prefix.Length);
        if (rest.IsEmpty)
        {
            return WritePageAsync(context, AppSection.Shell("App", "/app/api/index.json"));
        }

        if (rest.StartsWith("item/") && SiteRoutes.TryParseNumber(rest["item/".Length..], out var item) && item < site.Options.AppPages)
        {
            return WritePageAsync(context, AppSection.Shell("App", $"/app/api/item/{item}.json"));
        }

        if (rest.StartsWith("api/item/") && rest.EndsWith(".json") && SiteRoutes.TryParseNumber(rest["api/item/".Length..^".json".Length], out var data) && data < site.Options.AppPages)
        {
            return WriteAsync(context, AppSection.ItemJson(site, data), json, aborted);
        }

        if (rest.StartsWith("api/feed/") && rest.EndsWith(".json") && SiteRoutes.TryParseNumber(rest["api/feed/".Length..^".json".Length], out var batch) && batch is >= 1 and <= AppSection.FeedMoreBatches)
        {
            return WriteAsync(context, AppSection.FeedJson(batch), json, aborted);
        }

        switch (rest.ToString())
        {
            case "feed/":
                return WritePageAsync(context, AppSection.Feed());
            case "app.js":
                return WriteAsync(context, AppSection.Script, "text/javascript; charset=utf-8", aborted);
            case "api/index.json":
                return WriteAsync(context, AppSection.IndexJson(site), json, aborted);
            case "login":
                var user = context.Request.Query["user"].ToString() is { Length: > 0 and <= 64 } given && given.All(char.IsAsciiLetterOrDigit) ? given : "visitor";
                context.Response.Headers.SetCookie = $"session={user}; Path=/; HttpOnly";
                return WritePageAsync(context, AppSection.LoggedIn(user));
            case "logout":
                context.Response.Headers.SetCookie = "session=; Path=/; Max-Age=0; HttpOnly";
                return WritePageAsync(context, AppSection.LoggedIn(null));
            case "account/":
                return WritePageAsync(context, AppSection.Shell("Account", "/app/api/account.json"));
            case "api/account.json":
                context.Response.Headers[HeaderNames.CacheControl] = "no-store";
                return WriteAsync(context, AppSection.AccountJson(context.Request.Cookies["session"]), json, aborted);
            case "hang/":
                return WritePageAsync(context, AppSection.Shell("Hang", "/trap/hang"));
            default:
                return NotFoundAsync(context);
        }
    }

    private static string BaseUrlOf(HttpContext context) =>
        new UriBuilder(Uri.UriSchemeHttp, context.Connection.LocalIpAddress?.ToString() ?? "127.0.0.1", context.Connection.LocalPort).Uri.AbsoluteUri;

    // A page of the script-built section: no validators, no revisions (its content comes from scripts and cookies).
    private static async Task WritePageAsync(HttpContext context, PooledBytes page)
    {
        using (page)
        {
            context.Response.ContentType = HtmlType;
            context.Response.ContentLength = page.Memory.Length;
            await context.Response.Body.WriteAsync(page.Memory, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task WritePageAsync(HttpContext context, PooledBytes page, string path)
    {
        using (page)
        {
            var revision = Revisions.Revision(path);
            if (site.Options.Validators)
            {
                context.Response.Headers.ETag = PageRevisions.ETag(revision);
                context.Response.Headers.LastModified = HeaderUtilities.FormatDate(PageRevisions.LastModified(revision));
                if (PageRevisions.IsNotModified(context.Request, revision))
                {
                    context.Response.StatusCode = StatusCodes.Status304NotModified;
                    Revisions.AnsweredNotModified();
                    return;
                }
            }

            var body = PageRevisions.Revised(page.Memory, revision);
            context.Response.ContentType = HtmlType;
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Task WriteAsync(HttpContext context, byte[] body, string contentType, CancellationToken cancellationToken)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, cancellationToken).AsTask();
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return WriteAsync(context, NotFoundBody, HtmlType, context.RequestAborted);
    }

    private async Task HandleTrapAsync(HttpContext context, string path)
    {
        var rest = path.AsSpan("/trap/".Length);
        var slash = rest.IndexOf('/');
        var name = (slash < 0 ? rest : rest[..slash]).ToString();
        var argument = slash < 0 ? null : rest[(slash + 1)..].ToString();
        if (!TrapEndpoints.Handlers.TryGetValue(name, out var handler))
        {
            await NotFoundAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.Headers[HeaderNames.CacheControl] = "no-store";
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        await handler(new TrapContext(context, argument, site, _trapState, aborted.Token)).ConfigureAwait(false);
    }
}
