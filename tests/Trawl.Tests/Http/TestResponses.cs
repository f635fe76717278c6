using System.Text;
using Trawl.Http;

namespace Trawl.Tests.Http;

/// <summary>Builds responses the way the downloader would, from a body and a Content-Type.</summary>
internal static class TestResponses
{
    public static Response Html(string html, string url = "https://quotes.example/page/1/", string? contentType = "text/html; charset=utf-8", int depth = 0) =>
        Bytes(Encoding.UTF8.GetBytes(html), url, contentType, depth);

    public static Response Bytes(byte[] body, string url = "https://quotes.example/page/1/", string? contentType = "text/html", int depth = 0)
    {
        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (contentType is not null)
        {
            headers["Content-Type"] = [contentType];
        }

        var request = new Request(url) { Depth = depth };
        return new Response(request, request.Url, 200, headers, body);
    }
}
