using Trawl.Http;
using Trawl.Selectors;

namespace Trawl.Spiders;

/// <summary>
/// Follows links to a callback of the spider: <c>response.Follow(href, ParseDetail)</c>. The request records the
/// callback by its method name, so a stored request finds its method again (see <see cref="Request.Callback"/>).
/// </summary>
public static class SpiderFollowExtensions
{
    /// <summary>
    /// Makes a request for a link found on this page, one level deeper, parsed by <paramref name="callback"/> (a method
    /// of the spider; <see langword="null"/> for <see cref="Spider.ParseAsync"/>). See <see cref="Response.Follow"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="href"/> does not resolve to an http or https URL, or <paramref name="callback"/> is not a method of the spider.</exception>
    public static Request Follow(this Response response, string href, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.FollowNamed(href, SpiderCallbacks.NameOf(callback));
    }

    /// <summary>Makes a request for each usable link in a selection, parsed by <paramref name="callback"/>. See <see cref="Response.FollowAll(SelectorList)"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="callback"/> is not a method of the spider.</exception>
    public static IReadOnlyList<Request> FollowAll(this Response response, SelectorList links, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.FollowAllNamed(links, SpiderCallbacks.NameOf(callback));
    }

    /// <summary>Selects links with a CSS query and makes a request for each usable one, parsed by <paramref name="callback"/>.</summary>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    /// <exception cref="NotSupportedException">The response is not HTML.</exception>
    /// <exception cref="ArgumentException"><paramref name="callback"/> is not a method of the spider.</exception>
    public static IReadOnlyList<Request> FollowAll(this Response response, string css, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        var name = SpiderCallbacks.NameOf(callback);
        return response.FollowAllNamed(response.Css(css), name);
    }

    /// <summary>Makes a request for each usable href, skipping the others, parsed by <paramref name="callback"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="callback"/> is not a method of the spider.</exception>
    public static IReadOnlyList<Request> FollowAll(this Response response, IEnumerable<string> hrefs, SpiderCallback? callback)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.FollowAllNamed(hrefs, SpiderCallbacks.NameOf(callback));
    }
}
