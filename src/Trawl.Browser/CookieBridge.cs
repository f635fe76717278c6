using System.Net;
using PlaywrightCookie = Microsoft.Playwright.Cookie;

namespace Trawl.Browser;

/// <summary>
/// Carries cookies between the crawl's <see cref="CookieContainer"/> and a browser context: into the context before a
/// page loads, and back out (set, changed or removed) when it is done.
/// </summary>
internal static class CookieBridge
{
    /// <summary>The crawl's cookies, as the browser takes them: a host-only cookie by URL, a domain cookie by its domain.</summary>
    public static List<PlaywrightCookie> ToBrowser(CookieContainer jar, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var cookies = new List<PlaywrightCookie>();
        foreach (Cookie cookie in jar.GetAllCookies())
        {
            if (cookie.Expired || (cookie.Expires != DateTime.MinValue && cookie.Expires.ToUniversalTime() <= now) || string.IsNullOrEmpty(cookie.Domain))
            {
                continue;
            }

            var path = string.IsNullOrEmpty(cookie.Path) ? "/" : cookie.Path;
            var browserCookie = new PlaywrightCookie
            {
                Name = cookie.Name,
                Value = cookie.Value,
                Secure = cookie.Secure,
                HttpOnly = cookie.HttpOnly,
                Expires = cookie.Expires == DateTime.MinValue ? -1 : (float)new DateTimeOffset(cookie.Expires.ToUniversalTime()).ToUnixTimeSeconds(),
            };
            if (cookie.Domain.StartsWith('.'))
            {
                browserCookie.Domain = cookie.Domain;
                browserCookie.Path = path;
            }
            else
            {
                var host = cookie.Domain.Contains(':', StringComparison.Ordinal) && !cookie.Domain.StartsWith('[') ? $"[{cookie.Domain}]" : cookie.Domain;
                browserCookie.Url = $"{(cookie.Secure ? "https" : "http")}://{host}{path}";
            }

            cookies.Add(browserCookie);
        }

        return cookies;
    }

    /// <summary>
    /// Stores what the browser's cookies became into the crawl's jar: each cookie it has is set (a new value wins), and
    /// each cookie it was given but no longer has is removed.
    /// </summary>
    /// <returns>The cookies that could not be stored (a value .NET's cookies cannot hold).</returns>
    public static int FromBrowser(CookieContainer jar, IReadOnlyList<PlaywrightCookie> given, IReadOnlyList<Microsoft.Playwright.BrowserContextCookiesResult> now)
    {
        var rejected = 0;
        var kept = new HashSet<(string, string, string)>();
        foreach (var cookie in now)
        {
            kept.Add((cookie.Name, NormalizeDomain(cookie.Domain), cookie.Path));
            try
            {
                var stored = new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain) { Secure = cookie.Secure, HttpOnly = cookie.HttpOnly };
                if (cookie.Expires > 0)
                {
                    stored.Expires = DateTimeOffset.FromUnixTimeMilliseconds((long)(cookie.Expires * 1000)).UtcDateTime;
                }

                jar.Add(stored);
            }
            catch (CookieException)
            {
                rejected++;
            }
        }

        foreach (var cookie in given)
        {
            var domain = cookie.Domain ?? new Uri(cookie.Url!).Host.Trim('[', ']');
            var path = cookie.Path ?? new Uri(cookie.Url!).AbsolutePath;
            if (kept.Contains((cookie.Name, NormalizeDomain(domain), path)))
            {
                continue;
            }

            try
            {
                jar.Add(new Cookie(cookie.Name, string.Empty, path, domain) { Expired = true });
            }
            catch (CookieException)
            {
                rejected++;
            }
        }

        return rejected;
    }

    private static string NormalizeDomain(string domain) => domain.Trim('[', ']').ToLowerInvariant();
}
