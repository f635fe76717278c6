using Trawl.Http;

namespace Trawl.Spiders;

/// <summary>
/// A spider method that parses a response. It yields items (any object, serialized with System.Text.Json)
/// and <see cref="Request"/>s to follow.
/// </summary>
public delegate IAsyncEnumerable<object> SpiderCallback(Response response, CancellationToken cancellationToken);
