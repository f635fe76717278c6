using System.Globalization;
using System.Xml;
using System.Xml.XPath;
using AngleSharp.Dom;

namespace Trawl.Selectors;

/// <summary>
/// A compiled XPath 1.0 expression, reusable across documents and threads. It reads the same parsed document CSS
/// queries read; <c>XPath(string)</c> methods compile through <see cref="Parse"/>, so each expression is compiled once.
/// </summary>
/// <remarks>
/// <para>The document is seen as lxml's HTML parser shows it to Scrapy's XPath: elements by their lower-case names in
/// no namespace (<c>//div</c>, <c>//svg</c>), attributes by the names written (<c>@href</c>), no namespace nodes, no
/// doctype. XPath 1.0's functions are all there; variables, namespace prefixes and extension functions are not.</para>
/// <list type="bullet">
/// <item>Elements give element selectors, whose value is their outer HTML: <c>//div[@class="quote"]</c>.</item>
/// <item><c>text()</c> gives text nodes, like <c>::text</c>: <c>//p/text()</c> is <c>p::text</c>, <c>//div//text()</c>
/// is <c>div ::text</c>.</item>
/// <item><c>@name</c> gives attribute values, like <c>::attr(name)</c>: <c>//a/@href</c> is <c>a::attr(href)</c>.</item>
/// <item>A comment gives its markup; the root (<c>/</c>) gives the whole document's.</item>
/// <item>An expression that is a string, number or boolean (<c>string(//title)</c>, <c>count(//a)</c>,
/// <c>boolean(//form)</c>) gives one value, written as XPath's <c>string()</c> writes it (<c>3</c>, <c>true</c>).</item>
/// </list>
/// <para>Results come in document order without duplicates. Inside a <see cref="Selector"/>, the expression is evaluated
/// with that node as the context node: <c>./p</c> and <c>.//p</c> are relative to it, while <c>//p</c> searches the
/// whole document, as in XPath (and Scrapy).</para>
/// </remarks>
public sealed class XPathQuery : INodeQuery
{
    private static readonly ParseCache<XPathQuery> Cache = new(CssQuery.CacheCapacity, Compile);

    // Used to find, once, the errors .NET only reports on evaluation (a variable, a prefix, an unknown function).
    private static readonly XPathNavigator Empty = new XmlDocument().CreateNavigator()!;
    private static readonly Lock EmptyGate = new();

    private readonly XPathExpression _expression;

    private XPathQuery(string text, XPathExpression expression)
    {
        Text = text;
        _expression = expression;
    }

    /// <summary>The expression as it was given.</summary>
    public string Text { get; }

    /// <summary>Compiles an expression, or returns the cached compilation of an equal one.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="expression"/> is <see langword="null"/>.</exception>
    /// <exception cref="SelectorSyntaxException">The expression is not valid XPath 1.0, or uses what Trawl does not offer; the message says why.</exception>
    public static XPathQuery Parse(string expression) => Cache.Get(expression);

    /// <summary>Checks an expression, for example one given on the command line, before a crawl starts.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="expression"/> is <see langword="null"/>.</exception>
    /// <exception cref="SelectorSyntaxException">The expression is not valid; the message says why.</exception>
    public static void Validate(string expression) => Parse(expression);

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Appends what the expression selects with <paramref name="context"/> as the context node.</summary>
    void INodeQuery.Select(INode context, List<Selector> results) => Select(context, results);

    /// <inheritdoc cref="INodeQuery.Select" />
    internal void Select(INode context, List<Selector> results)
    {
        // A compiled expression keeps state while it runs: each evaluation takes its own copy.
        var result = HtmlNavigator.At(context).Evaluate(_expression.Clone());
        switch (result)
        {
            case XPathNodeIterator nodes:
                while (nodes.MoveNext())
                {
                    if (nodes.Current is HtmlNavigator { } at)
                    {
                        results.Add(at.Attribute is { } attribute ? Selector.ForAttribute((IElement)at.Node, attribute.Name, attribute.Value) : Selector.ForNode(at.Node));
                    }
                }

                break;
            case string text:
                results.Add(Selector.ForValue(context, text));
                break;
            case double number:
                results.Add(Selector.ForValue(context, NumberToString(number)));
                break;
            case bool truth:
                results.Add(Selector.ForValue(context, truth ? "true" : "false"));
                break;
        }
    }

    // XPath 1.0's string(): integers without a decimal point, no exponent, NaN and Infinity by name.
    private static string NumberToString(double number) => number switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "Infinity",
        double.NegativeInfinity => "-Infinity",
        _ when number == Math.Floor(number) && Math.Abs(number) < 1e15 => ((long)number).ToString(CultureInfo.InvariantCulture),
        _ => number.ToString("0.###############", CultureInfo.InvariantCulture),
    };

    private static XPathQuery Compile(string expression)
    {
        if (expression.AsSpan().Trim().IsEmpty)
        {
            throw SelectorSyntaxException.XPath(expression, "the expression is empty");
        }

        XPathExpression compiled;
        try
        {
            compiled = XPathExpression.Compile(expression);
            lock (EmptyGate)
            {
                _ = Empty.Evaluate(compiled.Clone());
            }
        }
        catch (XPathException ex)
        {
            throw SelectorSyntaxException.XPath(expression, Describe(ex));
        }

        return new XPathQuery(expression, compiled);
    }

    // .NET's messages say what its parser expected, not where: add what Trawl does not offer, in plain words.
    private static string Describe(XPathException ex) =>
        ex.Message.Contains("XsltContext", StringComparison.Ordinal)
            ? "it uses a variable ($name), a namespace prefix (svg:rect) or a function XPath 1.0 does not have; Trawl offers XPath 1.0's functions, and names elements and attributes without prefixes"
            : ex.Message.TrimEnd('.');
}
