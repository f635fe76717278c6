using AngleSharp.Dom;

namespace Trawl.Selectors;

/// <summary>A compiled query over a parsed document: a <see cref="CssQuery"/> or an <see cref="XPathQuery"/>.</summary>
internal interface INodeQuery
{
    /// <summary>The query as it was given.</summary>
    string Text { get; }

    /// <summary>Appends what the query selects under (or, for XPath, from) <paramref name="context"/>, in document order.</summary>
    void Select(INode context, List<Selector> results);
}

/// <summary>Field selectors as spider files and the command line write them: XPath or CSS, told apart by how they start.</summary>
internal static class FieldSelectors
{
    /// <summary>
    /// Whether a selector is XPath: it starts (after spaces) with <c>/</c>, <c>./</c> or <c>(</c>, which no CSS selector
    /// does. Everything else is CSS.
    /// </summary>
    public static bool IsXPath(string selector)
    {
        var text = selector.AsSpan().TrimStart();
        return text.StartsWith("/") || text.StartsWith("./") || text.StartsWith("(");
    }

    /// <summary>Compiles a field selector: <see cref="XPathQuery"/> or <see cref="CssQuery"/>, by <see cref="IsXPath"/>.</summary>
    /// <exception cref="SelectorSyntaxException">The selector is not valid; the message says why, and which language it was read as.</exception>
    public static INodeQuery Parse(string selector) => IsXPath(selector) ? XPathQuery.Parse(selector) : CssQuery.Parse(selector);
}
