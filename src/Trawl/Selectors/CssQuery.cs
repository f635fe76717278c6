using AngleSharp.Css.Dom;
using AngleSharp.Css.Parser;
using AngleSharp.Dom;

namespace Trawl.Selectors;

/// <summary>
/// A parsed CSS query, reusable across documents and threads. <c>Css(string)</c> methods parse through
/// <see cref="Parse"/>, so a spider that runs the same queries on every page parses each one once.
/// </summary>
/// <remarks>
/// <para>A query is a CSS selector, or a comma-separated group of them, as understood by AngleSharp. Each group may end
/// with one pseudo-element, as in Scrapy (parsel):</para>
/// <list type="bullet">
/// <item><c>p::text</c>: the text nodes that are direct children of each matched element (for
/// <c>&lt;p&gt;a&lt;b&gt;x&lt;/b&gt;c&lt;/p&gt;</c>, "a" and "c"). Whitespace-only text nodes are included.</item>
/// <item><c>div ::text</c> or <c>div *::text</c>: every text node inside each matched element, at any depth.</item>
/// <item><c>::text</c> or <c>*::text</c> alone: every text node inside the context (the document, or the selected element).</item>
/// <item><c>a::attr(href)</c>: the value of that attribute on each matched element; elements without it give nothing.
/// <c>div ::attr(href)</c> covers each matched element and its descendants, and <c>::attr(href)</c> alone the
/// context element and its descendants.</item>
/// </list>
/// <para>Results come in document order without duplicates, across groups too (<c>h1::text, h2::text</c>).</para>
/// <para>Inside a <see cref="Selector"/>, a query matches the element itself and its descendants, as in Scrapy:
/// <c>link.Css("::attr(href)")</c> reads the link's own href. A query may start with a combinator, which is relative to
/// that element: <c>row.Css("&gt; td")</c> selects its child cells. At the document level it is relative to the root
/// element. Combinators on the left of a nested query may match ancestors outside the element, as in the DOM's
/// <c>querySelectorAll</c>.</para>
/// </remarks>
public sealed class CssQuery : INodeQuery
{
    /// <summary>How many distinct parsed queries are kept. When full, the cache starts over.</summary>
    internal const int CacheCapacity = 1024;

    private static readonly ParseCache<CssQuery> Cache = new(CacheCapacity, Create);

    // AngleSharp's parser is cheap to call but builds a browsing context when created; parsing only happens on a
    // cache miss, so one shared instance behind a lock is enough.
    private static readonly CssSelectorParser SelectorParser = new();
    private static readonly Lock SelectorParserGate = new();

    private readonly Group[] _groups;

    // When no group has a pseudo-element, the whole query as one AngleSharp selector: matching it keeps document order
    // and drops elements that several groups match.
    private readonly ISelector? _elementsOnly;

    private CssQuery(string text, Group[] groups, ISelector? elementsOnly)
    {
        Text = text;
        _groups = groups;
        _elementsOnly = elementsOnly;
    }

    /// <summary>The query as it was given.</summary>
    public string Text { get; }

    /// <summary>The comma-separated selectors of the query, in order.</summary>
    internal IReadOnlyList<Group> Groups => _groups;

    /// <summary>Whether the query selects elements; <see langword="false"/> when a group ends with <c>::text</c> or <c>::attr(name)</c>.</summary>
    public bool SelectsElements => _elementsOnly is not null;

    /// <summary>Parses a query, or returns the cached parse of an equal query.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is <see langword="null"/>.</exception>
    /// <exception cref="SelectorSyntaxException">The query is not valid; the message says why.</exception>
    public static CssQuery Parse(string query) => Cache.Get(query);

    /// <summary>Checks a query, for example one given on the command line, before a crawl starts.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="query"/> is <see langword="null"/>.</exception>
    /// <exception cref="SelectorSyntaxException">The query is not valid; the message says why.</exception>
    public static void Validate(string query) => Parse(query);

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <inheritdoc cref="Select(INode, List{Selector})" />
    void INodeQuery.Select(INode context, List<Selector> results) => Select(context, results);

    /// <summary>Appends the matches of this query under <paramref name="context"/> (a document or an element) to <paramref name="results"/>.</summary>
    internal void Select(INode context, List<Selector> results)
    {
        if (_elementsOnly is not null)
        {
            var elements = new List<IElement>();
            MatchElements(_elementsOnly, context, elements);
            foreach (var element in elements)
            {
                results.Add(Selector.ForElement(element));
            }

            return;
        }

        var start = results.Count;
        foreach (var group in _groups)
        {
            group.Select(context, results);
        }

        if (_groups.Length > 1)
        {
            SortAndDeduplicate(results, start);
        }
    }

    /// <summary>Appends the elements this query selects under <paramref name="context"/>; only for <see cref="SelectsElements"/> queries.</summary>
    internal void SelectElements(INode context, List<IElement> results)
    {
        if (_elementsOnly is null)
        {
            throw new InvalidOperationException($"The query '{Text}' selects strings, not elements.");
        }

        MatchElements(_elementsOnly, context, results);
    }

    // Scrapy semantics: inside an element, the element itself can match (descendant-or-self).
    private static void MatchElements(ISelector selector, INode context, List<IElement> results)
    {
        if (context is IElement element)
        {
            if (selector.Match(element, element))
            {
                results.Add(element);
            }

            element.ChildNodes.QuerySelectorAll(selector, element, results);
        }
        else
        {
            context.ChildNodes.QuerySelectorAll(selector, results);
        }
    }

    private static void SortAndDeduplicate(List<Selector> results, int start)
    {
        var count = results.Count - start;
        if (count < 2)
        {
            return;
        }

        var keyed = new (Selector Item, int Index)[count];
        for (var i = 0; i < count; i++)
        {
            keyed[i] = (results[start + i], i);
        }

        Array.Sort(keyed, static (x, y) =>
        {
            var byPosition = Selector.CompareDocumentOrder(x.Item, y.Item);
            return byPosition != 0 ? byPosition : x.Index.CompareTo(y.Index);
        });
        results.RemoveRange(start, count);
        Selector? previous = null;
        foreach (var (item, _) in keyed)
        {
            if (previous is null || !previous.IsSameNode(item))
            {
                results.Add(item);
                previous = item;
            }
        }
    }

    private static CssQuery Create(string query)
    {
        var texts = SplitGroups(query);
        var groups = new Group[texts.Count];
        var allElements = true;
        for (var i = 0; i < texts.Count; i++)
        {
            groups[i] = ParseGroup(query, texts[i]);
            allElements &= groups[i].Pseudo == PseudoElement.None;
        }

        ISelector? elementsOnly = null;
        if (allElements)
        {
            elementsOnly = groups.Length == 1
                ? groups[0].Elements
                : ParseSelector(query, string.Join(", ", groups.Select(static g => g.SelectorText)));
        }

        return new CssQuery(query, groups, elementsOnly);
    }

    private static List<string> SplitGroups(string query)
    {
        if (query.AsSpan().Trim().IsEmpty)
        {
            throw new SelectorSyntaxException(query, "the query is empty");
        }

        var groups = new List<string>();
        var open = new Stack<(char Bracket, int Position)>();
        var start = 0;
        for (var i = 0; i < query.Length; i++)
        {
            var c = query[i];
            switch (c)
            {
                case '\\':
                    if (i + 1 >= query.Length)
                    {
                        throw new SelectorSyntaxException(query, "it ends with a backslash that escapes nothing");
                    }

                    i++;
                    break;
                case '"' or '\'':
                    i = SkipString(query, i);
                    break;
                case '(' or '[':
                    open.Push((c, i));
                    break;
                case ')' or ']':
                    var expected = c == ')' ? '(' : '[';
                    if (open.Count == 0 || open.Peek().Bracket != expected)
                    {
                        throw new SelectorSyntaxException(query, $"'{c}' at character {i + 1} has no matching '{expected}'");
                    }

                    open.Pop();
                    break;
                case ',' when open.Count == 0:
                    groups.Add(query[start..i]);
                    start = i + 1;
                    break;
            }
        }

        if (open.Count > 0)
        {
            var (bracket, position) = open.Peek();
            throw new SelectorSyntaxException(query, $"'{bracket}' at character {position + 1} is never closed with '{(bracket == '(' ? ')' : ']')}'");
        }

        groups.Add(query[start..]);
        return groups;
    }

    // Returns the index of the closing quote.
    private static int SkipString(string text, int openQuote)
    {
        var quote = text[openQuote];
        for (var i = openQuote + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == quote)
            {
                return i;
            }
        }

        throw new SelectorSyntaxException(text, $"the string starting at character {openQuote + 1} is never closed with {quote}");
    }

    private static Group ParseGroup(string query, string groupText)
    {
        var text = groupText.Trim();
        if (text.Length == 0)
        {
            throw new SelectorSyntaxException(query, "a selector in the comma-separated list is empty (look for a leading, trailing or doubled comma)");
        }

        var pseudoAt = FindPseudoElement(query, text);
        if (pseudoAt < 0)
        {
            var selectorText = MakeRelativeExplicit(text);
            return new Group(ParseSelector(query, selectorText), selectorText, PseudoElement.None, null, subtree: false);
        }

        var (pseudo, attribute) = ParsePseudoElement(query, text, pseudoAt);
        var prefix = text[..pseudoAt];
        var trimmed = prefix.TrimEnd();
        if (trimmed.Length == 0 || trimmed == "*")
        {
            // "::text", "*::text": everything under the context.
            return new Group(null, string.Empty, pseudo, attribute, subtree: true);
        }

        if (trimmed.Length < prefix.Length && !IsEscaped(prefix, trimmed.Length))
        {
            // "div ::text": the descendant combinator before an implied "*".
            if (EndsWithCombinator(trimmed))
            {
                // "div > ::text" is "div > *::text".
                var childText = MakeRelativeExplicit(trimmed + " *");
                return new Group(ParseSelector(query, childText), childText, pseudo, attribute, subtree: false);
            }

            var rootText = MakeRelativeExplicit(trimmed);
            return new Group(ParseSelector(query, rootText), rootText, pseudo, attribute, subtree: true);
        }

        if (trimmed[^1] == '*' && !IsEscaped(trimmed, trimmed.Length - 1) && trimmed.Length >= 2 && char.IsWhiteSpace(trimmed[^2]) && !IsEscaped(trimmed, trimmed.Length - 2))
        {
            // "div *::text" means the same as "div ::text"; "div > *::text" does not.
            var left = trimmed[..^1].TrimEnd();
            if (!EndsWithCombinator(left))
            {
                var rootText = MakeRelativeExplicit(left);
                return new Group(ParseSelector(query, rootText), rootText, pseudo, attribute, subtree: true);
            }
        }

        var plainText = MakeRelativeExplicit(trimmed);
        return new Group(ParseSelector(query, plainText), plainText, pseudo, attribute, subtree: false);
    }

    // The index of the first "::" outside strings, or -1.
    private static int FindPseudoElement(string query, string text)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\':
                    i++;
                    break;
                case '"' or '\'':
                    i = SkipString(text, i);
                    break;
                case '(' or '[':
                    depth++;
                    break;
                case ')' or ']':
                    depth--;
                    break;
                case ':' when i + 1 < text.Length && text[i + 1] == ':':
                    if (depth > 0)
                    {
                        throw new SelectorSyntaxException(query, "a pseudo-element appears inside brackets; ::text and ::attr(name) may only end a selector");
                    }

                    return i;
            }
        }

        return -1;
    }

    private static (PseudoElement Pseudo, string? Attribute) ParsePseudoElement(string query, string text, int at)
    {
        var nameStart = at + 2;
        var nameEnd = nameStart;
        while (nameEnd < text.Length && (char.IsAsciiLetterOrDigit(text[nameEnd]) || text[nameEnd] is '-' or '_'))
        {
            nameEnd++;
        }

        var name = text[nameStart..nameEnd];
        var rest = text[nameEnd..];
        if (name.Equals("text", StringComparison.OrdinalIgnoreCase))
        {
            if (rest.Length > 0 && rest[0] == '(')
            {
                throw new SelectorSyntaxException(query, "::text takes no argument");
            }

            RequireEnd(query, "::text", rest);
            return (PseudoElement.Text, null);
        }

        if (name.Equals("attr", StringComparison.OrdinalIgnoreCase))
        {
            if (rest.Length == 0 || rest[0] != '(')
            {
                throw new SelectorSyntaxException(query, "::attr needs an attribute name in parentheses, as in ::attr(href)");
            }

            var close = rest.IndexOf(')', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new SelectorSyntaxException(query, "::attr( is never closed with ')'");
            }

            var argument = rest[1..close].Trim();
            if (argument.Length >= 2 && argument[0] is '"' or '\'' && argument[^1] == argument[0])
            {
                argument = argument[1..^1];
            }

            if (argument.Length == 0)
            {
                throw new SelectorSyntaxException(query, "::attr() needs an attribute name, as in ::attr(href)");
            }

            foreach (var c in argument)
            {
                if (char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '(' or '>' or '/' or '=' or '\\')
                {
                    throw new SelectorSyntaxException(query, $"'{argument}' in ::attr(...) is not an attribute name");
                }
            }

            RequireEnd(query, "::attr(...)", rest[(close + 1)..]);
            return (PseudoElement.Attribute, argument);
        }

        if (name.Length == 0)
        {
            throw new SelectorSyntaxException(query, "'::' must be followed by text or attr(name)");
        }

        throw new SelectorSyntaxException(query, $"the pseudo-element '::{name}' is not supported; Trawl supports ::text and ::attr(name), at the end of a selector");
    }

    private static void RequireEnd(string query, string pseudo, string rest)
    {
        var trailing = rest.Trim();
        if (trailing.Length > 0)
        {
            throw new SelectorSyntaxException(query, $"{pseudo} must end its selector, but '{trailing}' follows it");
        }
    }

    // "> a" is relative to the context element; AngleSharp would otherwise read it as "a".
    private static string MakeRelativeExplicit(string selector) =>
        selector.Length > 0 && selector[0] is '>' or '+' or '~' ? ":scope " + selector : selector;

    private static bool EndsWithCombinator(string text) =>
        text.Length > 0 && text[^1] is '>' or '+' or '~' && !IsEscaped(text, text.Length - 1);

    private static bool IsEscaped(string text, int index)
    {
        var backslashes = 0;
        for (var i = index - 1; i >= 0 && text[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static ISelector ParseSelector(string query, string selectorText)
    {
        ISelector? parsed;
        lock (SelectorParserGate)
        {
            parsed = SelectorParser.ParseSelector(selectorText);
        }

        return parsed ?? throw new SelectorSyntaxException(query, Diagnose(selectorText));
    }

    // AngleSharp only says "invalid"; find the part that is wrong so the message can point at it.
    private static string Diagnose(string selector)
    {
        var trimmed = selector.Trim();
        if (EndsWithCombinator(trimmed))
        {
            return $"'{trimmed}' ends with the combinator '{trimmed[^1]}', which needs a selector after it";
        }

        foreach (var compound in SplitCompounds(trimmed))
        {
            if (TryParse(compound))
            {
                continue;
            }

            // Point at the simple selector that is wrong ("div:frobnicate" gives ":frobnicate"), else the compound.
            var part = SplitSimpleSelectors(compound).FirstOrDefault(simple => !TryParse(simple)) ?? compound;
            var hint = part.Contains(":text", StringComparison.OrdinalIgnoreCase) || part.Contains(":attr", StringComparison.OrdinalIgnoreCase)
                ? " (pseudo-elements take two colons: ::text, ::attr(name))"
                : part.Length > 1 && part[0] is '#' or '.' && char.IsAsciiDigit(part[1])
                    ? " (an id or class name cannot start with a digit unless it is escaped)"
                    : part.StartsWith('[')
                        ? " (check the attribute selector: [name], [name=value] or [name=\"value with spaces\"])"
                        : part.StartsWith(':')
                            ? " (check the pseudo-class name and its argument)"
                            : string.Empty;
            return $"'{part}' is not a valid selector{hint}";
        }

        return $"the combinators in '{trimmed}' are not valid (put ' ', '>', '+' or '~' between two selectors)";
    }

    private static bool TryParse(string selector)
    {
        lock (SelectorParserGate)
        {
            return SelectorParser.ParseSelector(selector) is not null;
        }
    }

    // Splits a compound before each top-level '.', '#', '[' and ':': "a.b:not(.c)" gives "a", ".b" and ":not(.c)".
    private static List<string> SplitSimpleSelectors(string compound)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < compound.Length; i++)
        {
            var c = compound[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (c is '"' or '\'')
            {
                i = SkipString(compound, i);
                continue;
            }

            if (depth == 0 && c is '.' or '#' or '[' or ':' && i > start && compound[i - 1] != ':')
            {
                parts.Add(compound[start..i]);
                start = i;
            }

            if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
        }

        parts.Add(compound[start..]);
        return parts;
    }

    // Splits at top-level whitespace and combinators: "div.a > p:not(.b)" gives "div.a" and "p:not(.b)".
    private static List<string> SplitCompounds(string selector)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            var c = selector[i];
            if (c == '\\')
            {
                i++;
            }
            else if (c is '"' or '\'')
            {
                i = SkipString(selector, i);
            }
            else if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                depth--;
            }
            else if (depth == 0 && (char.IsWhiteSpace(c) || c is '>' or '+' or '~'))
            {
                if (i > start)
                {
                    parts.Add(selector[start..i]);
                }

                start = i + 1;
            }
        }

        if (start < selector.Length)
        {
            parts.Add(selector[start..]);
        }

        return parts;
    }

    /// <summary>What a group of a query ends with.</summary>
    internal enum PseudoElement
    {
        None,
        Text,
        Attribute,
    }

    /// <summary>One selector of a comma-separated query, with what it ends with.</summary>
    internal sealed class Group
    {
        private readonly string? _attribute;

        // With subtree, each match stands for itself and all its descendants ("div ::text"); a null selector then
        // means the context itself ("::text").
        private readonly bool _subtree;

        public Group(ISelector? elements, string selectorText, PseudoElement pseudo, string? attribute, bool subtree)
        {
            Elements = elements;
            SelectorText = selectorText;
            Pseudo = pseudo;
            _attribute = attribute;
            _subtree = subtree;
        }

        public ISelector? Elements { get; }

        /// <summary>The attribute <c>::attr(name)</c> reads, as written.</summary>
        public string? Attribute => _attribute;

        /// <summary>Whether each match stands for itself and its descendants (<c>div ::text</c>); a query that is only
        /// a pseudo-element (<c>::text</c>) stands for the whole context and has no <see cref="Elements"/>.</summary>
        public bool Subtree => _subtree;

        public string SelectorText { get; }

        public PseudoElement Pseudo { get; }

        public void Select(INode context, List<Selector> results)
        {
            if (Elements is null)
            {
                AddSubtree(context, results);
                return;
            }

            var matches = new List<IElement>();
            MatchElements(Elements, context, matches);
            IElement? lastRoot = null;
            foreach (var element in matches)
            {
                switch (Pseudo)
                {
                    case PseudoElement.None:
                        results.Add(Selector.ForElement(element));
                        break;
                    case PseudoElement.Text when !_subtree:
                        // By index: NextSibling searches the parent's children (see DomWalk).
                        var children = element.ChildNodes;
                        for (var i = 0; i < children.Length; i++)
                        {
                            if (children[i] is IText text)
                            {
                                results.Add(Selector.ForText(text));
                            }
                        }

                        break;
                    case PseudoElement.Attribute when !_subtree:
                        AddAttribute(element, results);
                        break;
                    default:
                        // Matches come in document order, so a match inside the previous root is already covered.
                        if (lastRoot is null || !lastRoot.Contains(element))
                        {
                            AddSubtree(element, results);
                            lastRoot = element;
                        }

                        break;
                }
            }
        }

        private void AddSubtree(INode root, List<Selector> results)
        {
            if (Pseudo == PseudoElement.Attribute && root is IElement rootElement)
            {
                AddAttribute(rootElement, results);
            }

            foreach (var node in new DomWalk(root))
            {
                if (Pseudo == PseudoElement.Text)
                {
                    if (node is IText text)
                    {
                        results.Add(Selector.ForText(text));
                    }
                }
                else if (node is IElement element)
                {
                    AddAttribute(element, results);
                }
            }
        }

        private void AddAttribute(IElement element, List<Selector> results)
        {
            var value = element.GetAttribute(_attribute!);
            if (value is not null)
            {
                results.Add(Selector.ForAttribute(element, _attribute!, value));
            }
        }
    }
}
