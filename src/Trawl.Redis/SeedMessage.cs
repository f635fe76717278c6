using System.Text;
using System.Text.Json;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>
/// The two forms a seed takes, in a crawl's <c>start_urls</c> list and on <c>trawl seed</c>'s command line: an absolute
/// http(s) URL, or a JSON request such as <c>{"url": "https://example.com/", "priority": 5, "meta": {"k": "v"}}</c>
/// (at least <c>url</c>; also <c>method</c>, <c>headers</c>, <c>body</c> in base64, <c>priority</c>, <c>depth</c>,
/// <c>meta</c>, <c>dontFilter</c>, <c>callback</c>, <c>args</c> and <c>errback</c>, as a job stores requests).
/// </summary>
public static class SeedMessage
{
    /// <summary>Parses one seed as it arrives on <c>start_urls</c>: UTF-8 bytes.</summary>
    /// <param name="message">The message.</param>
    /// <param name="request">The request, when the message is one.</param>
    /// <param name="reason">Why the message is not a seed, when it is not.</param>
    /// <returns>Whether the message is a seed.</returns>
    public static bool TryParse(byte[] message, out Request request, out string reason)
    {
        ArgumentNullException.ThrowIfNull(message);
        request = null!;
        reason = string.Empty;
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(message).Trim();
        }
        catch (DecoderFallbackException)
        {
            reason = "not UTF-8";
            return false;
        }

        try
        {
            if (text.StartsWith('{'))
            {
                using var document = JsonDocument.Parse(text);
                request = RequestJson.Read(document.RootElement);
            }
            else
            {
                request = new Request(text);
            }

            return true;
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException or InvalidOperationException)
        {
            reason = ex.Message;
            return false;
        }
    }
}
