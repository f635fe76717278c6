using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Trawl.Jobs;

/// <summary>Saves a crawl's cookies as plain JSON and restores them, so a resumed crawl keeps its session.</summary>
internal static class CookieJar
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault };

    public static string Serialize(CookieContainer container)
    {
        var cookies = container.GetAllCookies()
            .Where(cookie => !cookie.Expired)
            .Select(cookie => new StoredCookie(cookie.Name, cookie.Value, cookie.Domain, cookie.Path, cookie.Expires == DateTime.MinValue ? null : cookie.Expires.ToUniversalTime(), cookie.Secure, cookie.HttpOnly))
            .ToList();
        return JsonSerializer.Serialize(cookies, Json);
    }

    /// <summary>Adds the stored cookies to the container; cookies that no longer parse are skipped.</summary>
    public static int Restore(CookieContainer container, string json)
    {
        var cookies = JsonSerializer.Deserialize<List<StoredCookie>>(json, Json) ?? [];
        var restored = 0;
        foreach (var stored in cookies)
        {
            try
            {
                var cookie = new Cookie(stored.Name, stored.Value, stored.Path, stored.Domain) { Secure = stored.Secure, HttpOnly = stored.HttpOnly };
                if (stored.Expires is { } expires)
                {
                    cookie.Expires = expires;
                }

                container.Add(cookie);
                restored++;
            }
            catch (CookieException)
            {
            }
        }

        return restored;
    }

    private sealed record StoredCookie(string Name, string Value, string Domain, string Path, DateTime? Expires, bool Secure, bool HttpOnly);
}
