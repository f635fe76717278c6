namespace Trawl.Rendering;

/// <summary>When a crawl renders pages in a browser rather than fetching them over plain HTTP.</summary>
public enum RenderMode
{
    /// <summary>Every page is fetched over plain HTTP; only a request whose meta asks for it (<see cref="Http.RequestMeta.Render"/>) is rendered.</summary>
    Never,

    /// <summary>
    /// Pages are fetched over plain HTTP first, and rendered only where the plain page needs it; what is learned is kept
    /// per host and path pattern, so a section that needs rendering is then rendered at once. See <see cref="RenderOptions"/>.
    /// </summary>
    Auto,

    /// <summary>Every GET request is rendered.</summary>
    Always,
}
