using System.Text;
using System.Text.Json;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>The two forms a seed takes, in <c>start_urls</c> and on <c>trawl seed</c>'s command line.</summary>
internal static class SeedMessage
{
    /// <summary>Parses one seed: an absolute http(s) URL, or a JSON request (at least <c>url</c>; any member
    /// <see cref="RequestJson"/> reads).</summary>
    public static bool TryParse(byte[] message, out Request request, out string reason)
    {
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
