using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Trawl.Downloader;
using Trawl.Http;
using Trawl.Items;
using Trawl.Middleware;
using Trawl.Spiders;

namespace Trawl.Tests.Engine;

/// <summary>
/// Follows every link of a sandbox site with one item per page, like <see cref="SiteSpider"/>, except that the page at
/// <paramref name="unwritablePath"/> yields an item no CSV exporter can write: its JSON holds the key <c>url</c> twice,
/// which <see cref="JsonObject"/> refuses to index (a real item shape: a property plus the same name in extension data).
/// </summary>
public sealed class FaultySiteSpider(Uri start, string? unwritablePath = null) : Spider
{
    public override string Name => "faulty";

    public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return response.Url.AbsolutePath == unwritablePath
            ? new DuplicateKeyItem { url = response.Url.AbsoluteUri }
            : new { url = response.Url.AbsoluteUri, title = response.Css("h1::text").Get() };
        foreach (var href in response.Css("a::attr(href)").GetAll())
        {
            if (response.UrlJoin(href) is { } url && url.Host == start.Host && url.Port == start.Port)
            {
                yield return response.Follow(href);
            }
        }

        await Task.CompletedTask;
    }

    /// <summary>Serializes as <c>{"url":"…","url":"again"}</c>.</summary>
    public sealed class DuplicateKeyItem
    {
        public string url { get; set; } = "";

        [JsonExtensionData]
        public Dictionary<string, object> Extra { get; set; } = new() { ["url"] = "again" };
    }
}

/// <summary>Downloader middleware that throws from the hook named, for the requests the predicate picks.</summary>
public sealed class ThrowingMiddleware(Func<Uri, bool>? onRequest = null, Func<Uri, bool>? onResponse = null, Func<Uri, bool>? onError = null) : DownloaderMiddleware
{
    public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken) =>
        onRequest?.Invoke(request.Url) == true ? throw new InvalidOperationException("request hook failed on " + request.Url.AbsolutePath) : new(request);

    public override ValueTask<Response> ProcessResponseAsync(Response response, CancellationToken cancellationToken) =>
        onResponse?.Invoke(response.Url) == true ? throw new InvalidOperationException("response hook failed on " + response.Url.AbsolutePath) : new(response);

    public override ValueTask<Response?> ProcessErrorAsync(Request request, DownloadResult failure, CancellationToken cancellationToken) =>
        onError?.Invoke(request.Url) == true ? throw new InvalidOperationException("error hook failed on " + request.Url.AbsolutePath) : new((Response?)null);
}

/// <summary>
/// An item pipeline that throws on the items whose JSON contains <paramref name="marker"/>, batch by batch, as a
/// pipeline that batches (one insert per batch) would. It reads items only as JSON text, so it never trips over an item
/// that cannot be indexed.
/// </summary>
public sealed class ThrowingPipeline(string marker) : ItemPipeline
{
    public override ValueTask<JsonObject?> ProcessAsync(JsonObject item, CancellationToken cancellationToken) => new(item);

    public override ValueTask<IReadOnlyList<JsonObject>> ProcessBatchAsync(IReadOnlyList<JsonObject> items, CancellationToken cancellationToken) =>
        items.Any(item => item.ToJsonString().Contains(marker, StringComparison.Ordinal))
            ? throw new InvalidOperationException("pipeline failed on an item with " + marker)
            : new(items);
}
