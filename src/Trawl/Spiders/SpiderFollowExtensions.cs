using System.Text.Json;
using Trawl.Http;
using Trawl.Selectors;

namespace Trawl.Spiders;

/// <summary>
/// Follows links to a callback of the spider: <c>response.Follow(href, ParseDetail)</c>. The request records the
/// callback by its method name, so a stored request finds its method again (see <see cref="Request.Callback"/>).
/// </summary>
/// <remarks>
/// A callback must be a named method of the spider: a lambda or a local function is refused when <c>Follow</c> is
/// called, since a request restored from a job could not find it again.
/// </remarks>
public static class SpiderFollowExtensions
{
    /// <summary>
    /// Makes a request for a link found on this page, one level deeper, parsed by <paramref name="callback"/> (a method
    /// of the spider; <see langword="null"/> for <see cref="Spider.ParseAsync"/>). See <see cref="Response.Follow"/>.
    /// </summary>
    /// <param name="response">The page the link was found on.</param>
    /// <param name="href">The link, resolved against the page.</param>
    /// <param name="callback">The spider method that parses the response, or <see langword="null"/> for <see cref="Spider.ParseAsync"/>.</param>
    /// <param name="priority">Higher runs sooner (see <see cref="Request.Priority"/>). The default is 0.</param>
    /// <param name="meta">Values carried to the response (see <see cref="Request.Meta"/>); they must serialize to JSON.</param>
    /// <param name="dontFilter">Schedule the request even when its fingerprint was seen (see <see cref="Request.DontFilter"/>).</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="href"/> does not resolve to an http or https URL, or <paramref name="callback"/> is a lambda, a local
    /// function, or not a method of the spider.
    /// </exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in a required parameter (the callback's arguments), so no call can match both.")]
    public static Request Follow(
        this Response response, string href, SpiderCallback? callback, int priority = 0, IReadOnlyDictionary<string, object?>? meta = null, bool dontFilter = false)
    {
        ArgumentNullException.ThrowIfNull(response);
        return With(response.FollowNamed(href, SpiderCallbacks.NameOf(callback)), priority, meta, dontFilter, callbackArgs: null);
    }

    /// <summary>
    /// Makes a request for a link found on this page, parsed by <paramref name="callback"/> with <paramref name="args"/>
    /// (Scrapy's <c>cb_kwargs</c>). The arguments are stored with the request as JSON
    /// (<see cref="Request.CallbackArgs"/>), so they survive a pause, a crash and a resume, and are read back as
    /// <typeparamref name="TArgs"/> when the response arrives.
    /// </summary>
    /// <example>
    /// <code>
    /// yield return response.Follow(authorHref, ParseAuthor, new AuthorArgs(quoteText));
    /// ...
    /// private async IAsyncEnumerable&lt;object&gt; ParseAuthor(Response response, AuthorArgs args, [EnumeratorCancellation] CancellationToken ct)
    /// </code>
    /// </example>
    /// <param name="response">The page the link was found on.</param>
    /// <param name="href">The link, resolved against the page.</param>
    /// <param name="callback">The spider method that parses the response: it takes the arguments between the response and the token.</param>
    /// <param name="priority">Higher runs sooner (see <see cref="Request.Priority"/>). The default is 0.</param>
    /// <param name="meta">Values carried to the response (see <see cref="Request.Meta"/>); they must serialize to JSON.</param>
    /// <param name="dontFilter">Schedule the request even when its fingerprint was seen (see <see cref="Request.DontFilter"/>).</param>
    /// <param name="args">The callback's arguments: anything System.Text.Json serializes and reads back as <typeparamref name="TArgs"/>.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="href"/> does not resolve to an http or https URL, <paramref name="callback"/> is a lambda, a local
    /// function or not a method of the spider, or <paramref name="args"/> does not serialize to JSON.
    /// </exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ in a required parameter (the callback's arguments), so no call can match both.")]
    public static Request Follow<TArgs>(
        this Response response, string href, SpiderCallback<TArgs> callback, TArgs args, int priority = 0, IReadOnlyDictionary<string, object?>? meta = null, bool dontFilter = false)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(callback);
        var name = SpiderCallbacks.NameOf(callback);
        JsonElement json;
        try
        {
            json = JsonSerializer.SerializeToElement(args);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException(
                $"The arguments of callback '{name}' ({typeof(TArgs).Name}) cannot be serialized to JSON: {ex.Message} They are stored with the request, so they must be.",
                nameof(args),
                ex);
        }

        return With(response.FollowNamed(href, name), priority, meta, dontFilter, json);
    }

    /// <summary>Makes a request for each usable link in a selection, parsed by <paramref name="callback"/>. See <see cref="Response.FollowAll(SelectorList)"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="callback"/> is a lambda, a local function, or not a method of the spider.</exception>
    public static IReadOnlyList<Request> FollowAll(this Response response, SelectorList links, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.FollowAllNamed(links, SpiderCallbacks.NameOf(callback));
    }

    /// <summary>Selects links with a CSS query and makes a request for each usable one, parsed by <paramref name="callback"/>.</summary>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    /// <exception cref="NotSupportedException">The response is not HTML.</exception>
    /// <exception cref="ArgumentException"><paramref name="callback"/> is a lambda, a local function, or not a method of the spider.</exception>
    public static IReadOnlyList<Request> FollowAll(this Response response, string css, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        var name = SpiderCallbacks.NameOf(callback);
        return response.FollowAllNamed(response.Css(css), name);
    }

    /// <summary>Makes a request for each usable href, skipping the others, parsed by <paramref name="callback"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="callback"/> is a lambda, a local function, or not a method of the spider.</exception>
    public static IReadOnlyList<Request> FollowAll(this Response response, IEnumerable<string> hrefs, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.FollowAllNamed(hrefs, SpiderCallbacks.NameOf(callback));
    }

    private static Request With(Request request, int priority, IReadOnlyDictionary<string, object?>? meta, bool dontFilter, JsonElement? callbackArgs) =>
        priority == 0 && meta is not { Count: > 0 } && !dontFilter && callbackArgs is null
            ? request
            : request.With(priority, meta, dontFilter, callbackArgs);
}
