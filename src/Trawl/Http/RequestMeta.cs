using System.Globalization;
using System.Text.Json;

namespace Trawl.Http;

/// <summary>
/// The <see cref="Request.Meta"/> keys Trawl itself reads: per-request overrides of the crawl's settings. Values are
/// checked when the request is scheduled; a bad one fails scheduling with an <see cref="ArgumentException"/> naming the
/// key (in a callback, that fails the callback's request as <c>callback</c>).
/// </summary>
/// <example>
/// <code>
/// yield return new Request(url)
/// {
///     Meta = { [RequestMeta.DownloadTimeout] = 120.0, [RequestMeta.Proxy] = "socks5://127.0.0.1:9050", [RequestMeta.DontRetry] = true },
/// };
/// </code>
/// </example>
public static class RequestMeta
{
    /// <summary>
    /// Seconds (a number) to wait after this request starts before the next request to its domain starts. Replaces the
    /// domain's delay (<c>DownloadDelay</c>, a per-domain override or AutoThrottle's) for that one gap, and is not
    /// randomized; a robots.txt <c>Crawl-delay</c>, when obeyed, stays a floor.
    /// </summary>
    public const string DownloadDelay = "download_delay";

    /// <summary>Seconds (a positive number) this download may take in all; overrides <see cref="Downloader.DownloaderOptions.Timeout"/>.</summary>
    public const string DownloadTimeout = "download_timeout";

    /// <summary>
    /// The proxy for this request, as a URL: <c>http://HOST:PORT</c>, <c>socks5://HOST:PORT</c>, <c>socks4://</c> or
    /// <c>socks4a://</c>, optionally with <c>USER:PASSWORD@</c>. An empty string sends it direct. Overrides
    /// <see cref="Downloader.DownloaderOptions.Proxies"/>. Credentials are never logged.
    /// </summary>
    public const string Proxy = "proxy";

    /// <summary><see langword="true"/> to never retry this request: its first failure is final.</summary>
    public const string DontRetry = "dont_retry";

    /// <summary>
    /// HTTP statuses (an array of integers, 100 to 599) whose responses reach this request's callback as responses,
    /// rather than failing it (or retrying it): <c>[404, 410]</c> for a spider that wants to see pages that are gone.
    /// Added to the spider's <c>Spider.AllowedStatuses</c>.
    /// </summary>
    public const string AllowStatus = "allow_status";

    /// <summary>
    /// <see langword="true"/> to render this request in the browser, <see langword="false"/> to fetch it over plain HTTP,
    /// whatever the crawl's render mode (<c>RenderOptions.Mode</c>). Only GET requests are rendered. A request that asks to
    /// be rendered in a crawl without a renderer fails as <c>invalid_request</c>.
    /// </summary>
    public const string Render = "render";

    /// <summary>A CSS selector (a non-empty string): this rendered page is ready once it matches. Overrides <c>RenderOptions.WaitFor</c>.</summary>
    public const string RenderWaitFor = "render_wait_for";

    /// <summary>
    /// The page actions this rendered page goes through after it is ready and before its DOM is read, in order: a JSON
    /// array in <see cref="PageAction"/>'s form (a <see cref="JsonElement"/>, its text, or a list of
    /// <see cref="PageAction"/>; <see cref="PageAction.ToJson"/> makes one). Replaces
    /// <c>RenderOptions.Actions</c>; an empty array runs none.
    /// </summary>
    public const string RenderActions = "render_actions";

    /// <summary>
    /// <see langword="true"/> to save a full-page PNG screenshot of this rendered page, <see langword="false"/> not to,
    /// whatever <c>RenderOptions.Screenshots</c> says. A screenshot needs <c>RenderOptions.ScreenshotDirectory</c>.
    /// </summary>
    public const string RenderScreenshot = "render_screenshot";

    /// <summary>
    /// Checks the values of the keys above, as scheduling a request does: for a request made outside a crawl (a seed,
    /// say) that should fail now rather than when it is scheduled.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not what its key takes; the message names the key.</exception>
    public static void Validate(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasMeta)
        {
            return;
        }

        if (request.Meta.ContainsKey(DownloadDelay) && TryGetSeconds(request, DownloadDelay, allowZero: true) is null)
        {
            throw Invalid(request, DownloadDelay, "a number of seconds, 0 or more");
        }

        if (request.Meta.ContainsKey(DownloadTimeout) && TryGetSeconds(request, DownloadTimeout, allowZero: false) is null)
        {
            throw Invalid(request, DownloadTimeout, "a number of seconds above 0");
        }

        if (request.Meta.ContainsKey(Proxy))
        {
            var text = TryGetString(request, Proxy);
            if (text is null || (text.Length > 0 && !ProxyAddress.TryParse(text, out _, out _)))
            {
                throw Invalid(request, Proxy, "a proxy URL such as http://HOST:PORT or socks5://HOST:PORT, or an empty string for none");
            }
        }

        if (request.Meta.ContainsKey(DontRetry) && TryGetBool(request, DontRetry) is null)
        {
            throw Invalid(request, DontRetry, "true or false");
        }

        if (request.Meta.ContainsKey(AllowStatus) && !TryAllowsStatus(request, 0, out _))
        {
            throw Invalid(request, AllowStatus, "an array of HTTP statuses (integers from 100 to 599)");
        }

        if (request.Meta.ContainsKey(Render) && TryGetBool(request, Render) is null)
        {
            throw Invalid(request, Render, "true or false");
        }

        if (request.Meta.ContainsKey(RenderWaitFor) && string.IsNullOrWhiteSpace(TryGetString(request, RenderWaitFor)))
        {
            throw Invalid(request, RenderWaitFor, "a CSS selector");
        }

        if (request.Meta.ContainsKey(RenderActions))
        {
            try
            {
                _ = TryGetActions(request);
            }
            catch (ArgumentException ex)
            {
                throw Invalid(request, RenderActions, $"a list of page actions ({ex.Message})");
            }
        }

        if (request.Meta.ContainsKey(RenderScreenshot) && TryGetBool(request, RenderScreenshot) is null)
        {
            throw Invalid(request, RenderScreenshot, "true or false");
        }
    }

    /// <summary>A meta value as seconds, or <see langword="null"/> when absent or not a valid number.</summary>
    internal static TimeSpan? TryGetSeconds(Request request, string key, bool allowZero)
    {
        if (!request.TryGetMeta(key, out var value) || value is null)
        {
            return null;
        }

        double? seconds = value switch
        {
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            decimal m => (double)m,
            TimeSpan t => t.TotalSeconds,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
            JsonElement { ValueKind: JsonValueKind.String } e when double.TryParse(e.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };

        return seconds is { } s2 && double.IsFinite(s2) && (s2 > 0 || (allowZero && s2 == 0)) && s2 < 7 * 86_400
            ? TimeSpan.FromSeconds(s2)
            : null;
    }

    /// <summary>A meta value as a string, or <see langword="null"/> when absent or not a string.</summary>
    internal static string? TryGetString(Request request, string key) =>
        request.TryGetMeta(key, out var value)
            ? value switch
            {
                string s => s,
                Uri u => u.OriginalString,
                JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
                _ => null,
            }
            : null;

    /// <summary>The request's page actions (<see cref="RenderActions"/>), or <see langword="null"/> when it has none of its own.</summary>
    /// <exception cref="ArgumentException">The value is not a list of page actions.</exception>
    internal static IReadOnlyList<PageAction>? TryGetActions(Request request) =>
        request.TryGetMeta(RenderActions, out var value)
            ? value switch
            {
                null => null,
                JsonElement e => PageAction.ParseList(e),
                string text => PageAction.ParseList(text),
                IEnumerable<PageAction> list => list.ToArray() is var actions && actions.All(static action => action is not null) ? actions : throw new ArgumentException("an action is null."),
                _ => throw new ArgumentException("not a JSON array of actions."),
            }
            : null;

    /// <summary>A meta value as a boolean, or <see langword="null"/> when absent or not a boolean.</summary>
    internal static bool? TryGetBool(Request request, string key) =>
        request.TryGetMeta(key, out var value)
            ? value switch
            {
                bool b => b,
                JsonElement { ValueKind: JsonValueKind.True } => true,
                JsonElement { ValueKind: JsonValueKind.False } => false,
                _ => null,
            }
            : null;

    /// <summary>
    /// Whether the request's <see cref="AllowStatus"/> lists <paramref name="status"/>. Returns <see langword="false"/>
    /// when the value is there but is not an array of statuses.
    /// </summary>
    internal static bool TryAllowsStatus(Request request, int status, out bool allowed)
    {
        allowed = false;
        if (!request.TryGetMeta(AllowStatus, out var value) || value is null)
        {
            return value is null;
        }

        switch (value)
        {
            case JsonElement { ValueKind: JsonValueKind.Array } array:
                foreach (var element in array.EnumerateArray())
                {
                    if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var listed) || listed is < 100 or > 599)
                    {
                        return false;
                    }

                    allowed |= listed == status;
                }

                return true;
            case IEnumerable<int> statuses:
                foreach (var listed in statuses)
                {
                    if (listed is < 100 or > 599)
                    {
                        return false;
                    }

                    allowed |= listed == status;
                }

                return true;
            default:
                return false;
        }
    }

    private static ArgumentException Invalid(Request request, string key, string expected) =>
        new($"Request {Logging.UrlRedaction.UrlForLog(request.Url)} has meta '{key}' that is not {expected}.", nameof(Request.Meta));
}
