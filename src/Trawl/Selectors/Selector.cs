using System.Text.RegularExpressions;
using AngleSharp;
using AngleSharp.Dom;

namespace Trawl.Selectors;

/// <summary>
/// One selected node: an element, or a string produced by <c>::text</c> or <c>::attr(name)</c> (in XPath, <c>text()</c>
/// or <c>@name</c>); from XPath also a comment, the document root, or the value of an expression that is not a node-set.
/// </summary>
/// <remarks>
/// A selector reads the parsed document of its response. Reading one document from several threads at once is not
/// supported; parse each response's results on one thread, as a spider callback does.
/// </remarks>
public sealed class Selector
{
    private readonly SelectorKind _kind;
    private readonly string? _value;
    private readonly string? _attributeName;

    private Selector(SelectorKind kind, INode node, string? value, string? attributeName)
    {
        _kind = kind;
        Node = node;
        _value = value;
        _attributeName = attributeName;
    }

    private enum SelectorKind
    {
        Element,
        Attribute,
        Text,

        // From XPath: a comment or the document root (its markup is the value), or a string, number or boolean.
        Markup,
        Value,
    }

    /// <summary>Whether this selector is an element; <see langword="false"/> for a string from <c>::text</c> or <c>::attr(name)</c> (or any other XPath result).</summary>
    public bool IsElement => _kind == SelectorKind.Element;

    /// <summary>
    /// The text of the node: for an element, all its descendant text concatenated (script and style contents included);
    /// for a string, the string itself.
    /// </summary>
    public string Text => _kind switch
    {
        SelectorKind.Element => Node.TextContent,
        SelectorKind.Markup => HtmlNavigator.StringValue(Node),
        _ => _value!,
    };

    /// <summary>
    /// The DOM node: the element, the text node, the element that holds the selected attribute, the comment or document,
    /// or for an XPath value the node it was computed from.
    /// </summary>
    internal INode Node { get; }

    /// <summary>Selects again inside this node. For an element the query also matches the element itself (see <see cref="CssQuery"/>); a string selects nothing.</summary>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    public SelectorList Css(string query) => Css(CssQuery.Parse(query));

    /// <summary>Selects again inside this node with a parsed query.</summary>
    public SelectorList Css(CssQuery query) => Select(query);

    /// <summary>
    /// Selects with an XPath 1.0 expression, with this node as the context node: <c>./p</c> and <c>.//p</c> look inside
    /// it, <c>//p</c> searches the whole document (see <see cref="XPathQuery"/>). A string selects nothing.
    /// </summary>
    /// <exception cref="SelectorSyntaxException">The expression is not valid.</exception>
    public SelectorList XPath(string expression) => XPath(XPathQuery.Parse(expression));

    /// <summary>Selects with a compiled XPath expression, with this node as the context node.</summary>
    public SelectorList XPath(XPathQuery query) => Select(query);

    /// <summary>Selects with either kind of query inside an element or the document; a string selects nothing.</summary>
    internal SelectorList Select(INodeQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_kind != SelectorKind.Element && !(_kind == SelectorKind.Markup && Node is IDocument))
        {
            return SelectorList.Empty;
        }

        var results = new List<Selector>();
        query.Select(Node, results);
        return new SelectorList(results);
    }

    /// <summary>The node's value: the outer HTML of an element, or the selected string.</summary>
    public string Get() => _kind switch
    {
        SelectorKind.Element => ((IElement)Node).OuterHtml,
        SelectorKind.Markup => Node.ToHtml(),
        _ => _value!,
    };

    /// <summary>The value of an attribute of this element, or <see langword="null"/> when it has none or this is a string.</summary>
    public string? Attrib(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _kind == SelectorKind.Element ? ((IElement)Node).GetAttribute(name) : null;
    }

    /// <summary>
    /// Applies a regular expression to <see cref="Get"/>: for each match, group 1 when the pattern has groups (a match
    /// where group 1 did not take part adds nothing), else the whole match. Patterns are compiled once and cached.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    /// <exception cref="RegexMatchTimeoutException">Matching took longer than <see cref="SelectorList.RegexTimeout"/>.</exception>
    public IReadOnlyList<string> Re(string pattern) => Re(RegexCache.Get(pattern));

    /// <inheritdoc cref="Re(string)" />
    public IReadOnlyList<string> Re(Regex regex)
    {
        ArgumentNullException.ThrowIfNull(regex);
        var results = new List<string>();
        RegexCache.Extract(regex, Get(), results, firstOnly: false);
        return results;
    }

    /// <summary>The first result of <see cref="Re(string)"/>, or <see langword="null"/> when there is none.</summary>
    /// <inheritdoc cref="Re(string)" path="/exception" />
    public string? ReFirst(string pattern) => ReFirst(RegexCache.Get(pattern));

    /// <inheritdoc cref="ReFirst(string)" />
    public string? ReFirst(Regex regex)
    {
        ArgumentNullException.ThrowIfNull(regex);
        var results = new List<string>(1);
        RegexCache.Extract(regex, Get(), results, firstOnly: true);
        return results.Count > 0 ? results[0] : null;
    }

    /// <summary>Returns <see cref="Get"/>.</summary>
    public override string ToString() => Get();

    internal static Selector ForElement(IElement element) => new(SelectorKind.Element, element, null, null);

    internal static Selector ForText(IText text) => new(SelectorKind.Text, text, text.Data, null);

    internal static Selector ForAttribute(IElement element, string name, string value) => new(SelectorKind.Attribute, element, value, name);

    /// <summary>A node an XPath expression selected: an element, a text node, a comment or the document.</summary>
    internal static Selector ForNode(INode node) => node switch
    {
        IElement element => ForElement(element),
        IText text => ForText(text),
        _ => new(SelectorKind.Markup, node, null, null),
    };

    /// <summary>The value of an XPath expression that is a string, number or boolean, computed at <paramref name="context"/>.</summary>
    internal static Selector ForValue(INode context, string value) => new(SelectorKind.Value, context, value, null);

    /// <summary>The href of a link element (or src of an img or script), or the string itself; <see langword="null"/> when there is none.</summary>
    internal string? LinkValue()
    {
        if (_kind != SelectorKind.Element)
        {
            return _value;
        }

        return LinkValueOf((IElement)Node);
    }

    /// <summary>The href of an element, or the src of an img or script.</summary>
    internal static string? LinkValueOf(IElement element) =>
        element.LocalName is "img" or "script" ? element.GetAttribute("src") : element.GetAttribute("href");

    /// <summary>Whether two selectors stand for the same node (and the same attribute).</summary>
    internal bool IsSameNode(Selector other) =>
        ReferenceEquals(Node, other.Node) && _kind == other._kind && string.Equals(_attributeName, other._attributeName, StringComparison.Ordinal);

    /// <summary>Orders selectors as XPath does: document order, and an element before its attributes.</summary>
    internal static int CompareDocumentOrder(Selector x, Selector y)
    {
        if (!ReferenceEquals(x.Node, y.Node))
        {
            return x.Node.CompareDocumentPosition(y.Node).HasFlag(DocumentPositions.Following) ? -1 : 1;
        }

        var byKind = x._kind.CompareTo(y._kind);
        return byKind != 0 ? byKind : string.CompareOrdinal(x._attributeName, y._attributeName);
    }
}
