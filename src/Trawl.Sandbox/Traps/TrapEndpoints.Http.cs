using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Trawl.Sandbox.Traps;

/// <summary>Traps that misbehave at the HTTP level: odd statuses, delays, hangs, redirects and dropped connections.</summary>
internal static partial class TrapEndpoints
{
    /// <summary>
    /// <c>/trap/status/{code}</c>: answers with status <c>code</c> (200 to 599) and a small page (no body for 204,
    /// 205 and 304). <c>?retry-after=s</c> adds a <c>Retry-After</c> header of that many seconds.
    /// </summary>
    [Trap("status")]
    private static Task Status(TrapContext trap)
    {
        if (!trap.TryArgument(200, 599, out var code))
        {
            return trap.BadRequestAsync("Status must be between 200 and 599");
        }

        if (!trap.TryQuery("retry-after", 0, 86_400, -1, out var retryAfter))
        {
            return trap.BadRequestAsync("retry-after must be between 0 and 86400");
        }

        if (retryAfter >= 0)
        {
            trap.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        if (code is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified)
        {
            trap.Response.StatusCode = code;
            return Task.CompletedTask;
        }

        return trap.WritePageAsync(code, string.Create(CultureInfo.InvariantCulture, $"Status {code}"));
    }

    /// <summary><c>/trap/slow?ms=N</c>: waits N milliseconds (default 1,000, at most 600,000), then answers 200.</summary>
    [Trap("slow")]
    private static async Task Slow(TrapContext trap)
    {
        if (!trap.TryQuery("ms", 0, 600_000, 1000, out var ms))
        {
            await trap.BadRequestAsync("ms must be between 0 and 600000").ConfigureAwait(false);
            return;
        }

        try
        {
            await Task.Delay(ms, trap.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            trap.Http.Abort();
            return;
        }

        await trap.WritePageAsync(StatusCodes.Status200OK, string.Create(CultureInfo.InvariantCulture, $"Slept {ms} ms")).ConfigureAwait(false);
    }

    /// <summary><c>/trap/hang</c>: reads the request and never answers, until the client disconnects or the server stops.</summary>
    [Trap("hang")]
    private static Task Hang(TrapContext trap) => AbortWhenDoneAsync(trap);

    /// <summary>
    /// <c>/trap/redirect/{n}</c>: a chain of n redirects (1 to 1,000) ending at <c>/pages/0</c>:
    /// <c>/trap/redirect/n</c> redirects to <c>/trap/redirect/{n-1}</c>, and <c>/trap/redirect/1</c> to <c>/pages/0</c>.
    /// <c>?status=301|302|303|307|308</c> picks the status (default 302) and is kept along the chain.
    /// </summary>
    [Trap("redirect")]
    private static Task Redirect(TrapContext trap)
    {
        if (!trap.TryArgument(1, 1000, out var hops))
        {
            return trap.BadRequestAsync("The redirect count must be between 1 and 1000");
        }

        if (!TryRedirectStatus(trap, out var status))
        {
            return trap.BadRequestAsync("status must be 301, 302, 303, 307 or 308");
        }

        var location = hops == 1
            ? "/pages/0"
            : string.Create(CultureInfo.InvariantCulture, $"/trap/redirect/{hops - 1}{trap.Request.QueryString.ToUriComponent()}");
        return RedirectAsync(trap, status, location);
    }

    /// <summary><c>/trap/redirect-loop</c>: redirects to itself, query included, forever.</summary>
    [Trap("redirect-loop")]
    private static Task RedirectLoop(TrapContext trap) =>
        TryRedirectStatus(trap, out var status)
            ? RedirectAsync(trap, status, trap.PathAndQuery)
            : trap.BadRequestAsync("status must be 301, 302, 303, 307 or 308");

    /// <summary>
    /// <c>/trap/reset</c>: promises 64 KiB with a Content-Length, sends the first 8 KiB, then drops the connection,
    /// so reading the body fails.
    /// </summary>
    [Trap("reset")]
    private static async Task Reset(TrapContext trap)
    {
        const int Promised = 64 * 1024;
        trap.Response.ContentType = "text/html; charset=utf-8";
        trap.Response.ContentLength = Promised;
        try
        {
            await trap.Response.Body.WriteAsync(FillerChunk.AsMemory(0, 8 * 1024), trap.Aborted).ConfigureAwait(false);
            await trap.Response.Body.FlushAsync(trap.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        trap.Http.Abort();
    }

    /// <summary>
    /// <c>/trap/flaky/{key}?fail=N&amp;status=S&amp;retry-after=s</c>: the first N requests for <c>key</c> (default 2, at
    /// most 1,000) answer status S (default 503; 408, 429 or 500 to 599), with a <c>Retry-After</c> of s seconds when
    /// asked; every later one answers 200 with a page whose heading is <c>Recovered {key}</c>. Requests are counted per
    /// server and key, whatever the query, so a client that retries the same URL sees the burst end.
    /// </summary>
    [Trap("flaky")]
    private static Task Flaky(TrapContext trap)
    {
        if (!trap.TryQuery("fail", 0, 1000, 2, out var failures))
        {
            return trap.BadRequestAsync("fail must be between 0 and 1000");
        }

        if (!trap.TryQuery("status", 408, 599, StatusCodes.Status503ServiceUnavailable, out var status) || status is > 408 and < 500 and not 429)
        {
            return trap.BadRequestAsync("status must be 408, 429 or between 500 and 599");
        }

        if (!trap.TryQuery("retry-after", 0, 86_400, -1, out var retryAfter))
        {
            return trap.BadRequestAsync("retry-after must be between 0 and 86400");
        }

        var key = trap.Argument ?? string.Empty;
        if (trap.State.CountRequest("flaky/" + key) >= failures)
        {
            return trap.WritePageAsync(StatusCodes.Status200OK, $"Recovered {key}");
        }

        if (retryAfter >= 0)
        {
            trap.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        return trap.WritePageAsync(status, string.Create(CultureInfo.InvariantCulture, $"Status {status}"));
    }

    /// <summary>
    /// <c>/trap/trickle?bytes=N&amp;ms=M</c>: answers 200 at once, announcing N bytes of HTML (default 60, 1 to
    /// 100,000) with a Content-Length, then sends them one byte every M milliseconds (default 1,000, 1 to 60,000).
    /// </summary>
    [Trap("trickle")]
    private static async Task Trickle(TrapContext trap)
    {
        if (!trap.TryQuery("bytes", 1, 100_000, 60, out var length) || !trap.TryQuery("ms", 1, 60_000, 1000, out var interval))
        {
            await trap.BadRequestAsync("bytes must be between 1 and 100000 and ms between 1 and 60000").ConfigureAwait(false);
            return;
        }

        var body = new byte[length];
        "<!DOCTYPE html><html><body><p>"u8[..Math.Min(length, 30)].CopyTo(body);
        body.AsSpan(Math.Min(length, 30)).Fill((byte)'.');
        var response = trap.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength = length;
        try
        {
            await response.StartAsync(trap.Aborted).ConfigureAwait(false);
            await response.Body.FlushAsync(trap.Aborted).ConfigureAwait(false);
            for (var i = 0; i < length; i++)
            {
                await Task.Delay(interval, trap.Aborted).ConfigureAwait(false);
                await response.Body.WriteAsync(body.AsMemory(i, 1), trap.Aborted).ConfigureAwait(false);
                await response.Body.FlushAsync(trap.Aborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            trap.Http.Abort();
        }
    }

    /// <summary>
    /// <c>/trap/redirect-to?url=U&amp;status=S</c>: redirects to U, as given: any absolute URL (another host, another
    /// scheme) or a relative one. <c>status</c> is 301, 302 (the default), 303, 307 or 308.
    /// </summary>
    [Trap("redirect-to")]
    private static Task RedirectTo(TrapContext trap)
    {
        var target = trap.Request.Query["url"].ToString();
        if (target.Length is 0 or > 8192 || target.AsSpan().ContainsAnyExceptInRange((char)0x21, (char)0x7E))
        {
            return trap.BadRequestAsync("url must be given, in at most 8192 printable ASCII characters");
        }

        return TryRedirectStatus(trap, out var status)
            ? RedirectAsync(trap, status, target)
            : trap.BadRequestAsync("status must be 301, 302, 303, 307 or 308");
    }

    private static bool TryRedirectStatus(TrapContext trap, out int status) =>
        trap.TryQuery("status", 301, 308, StatusCodes.Status302Found, out status) && status is 301 or 302 or 303 or 307 or 308;

    private static Task RedirectAsync(TrapContext trap, int status, string location)
    {
        trap.Response.Headers.Location = location;
        return trap.WritePageAsync(status, "Redirecting");
    }
}
