using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Trawl.Http;

/// <summary>The one HTML parser every response uses.</summary>
/// <remarks>
/// The parser has no browsing context with loaders, so parsing never fetches stylesheets, scripts, frames or
/// anything else, and it does not run scripts. It parses decoded text, so a <c>&lt;meta charset&gt;</c> in the
/// document cannot make it re-decode. <see cref="HtmlParser.ParseDocument(string)"/> keeps no state between calls, so
/// one instance serves all threads.
/// </remarks>
internal static class HtmlParsing
{
    private static readonly HtmlParser Parser = new(new HtmlParserOptions
    {
        IsScripting = false,
        IsKeepingSourceReferences = false,
        DisableElementPositionTracking = true,
    });

    /// <summary>Parses a whole document.</summary>
    public static IHtmlDocument Parse(string html) => Parser.ParseDocument(html);
}
