using Trawl.Http;

namespace Trawl.Spiders;

/// <summary>
/// A spider method that parses a response. It yields items (any object, serialized with System.Text.Json)
/// and <see cref="Request"/>s to follow.
/// </summary>
public delegate IAsyncEnumerable<object> SpiderCallback(Response response, CancellationToken cancellationToken);

/// <summary>
/// A spider method that parses a response with arguments given when the request was made (Scrapy's <c>cb_kwargs</c>):
/// <c>response.Follow(href, ParseDetail, new DetailArgs(...))</c>. The arguments are stored with the request as JSON
/// and read back as <typeparamref name="TArgs"/> when the response arrives, so they survive a resume.
/// </summary>
/// <typeparam name="TArgs">The arguments' type: anything System.Text.Json serializes and reads back, a record say.</typeparam>
public delegate IAsyncEnumerable<object> SpiderCallback<in TArgs>(Response response, TArgs args, CancellationToken cancellationToken);

/// <summary>
/// A spider method called when a request finally fails (an error callback). It yields items (any object, serialized
/// with System.Text.Json) and <see cref="Request"/>s to follow, like a <see cref="SpiderCallback"/>.
/// </summary>
internal delegate IAsyncEnumerable<object> SpiderErrback(RequestFailure failure, CancellationToken cancellationToken);
