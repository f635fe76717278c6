using Trawl.Http;

namespace Trawl.Spiders;

/// <summary>
/// A spider method that parses a response. It yields items (any object, serialized with System.Text.Json)
/// and <see cref="Request"/>s to follow.
/// </summary>
public delegate IAsyncEnumerable<object> SpiderCallback(Response response, CancellationToken cancellationToken);

/// <summary>
/// A spider method called when a request finally fails (an error callback). It yields items (any object, serialized
/// with System.Text.Json) and <see cref="Request"/>s to follow, like a <see cref="SpiderCallback"/>.
/// </summary>
internal delegate IAsyncEnumerable<object> SpiderErrback(RequestFailure failure, CancellationToken cancellationToken);
