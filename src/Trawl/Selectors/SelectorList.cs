using System.Collections;
using System.Text.RegularExpressions;

namespace Trawl.Selectors;

/// <summary>The result of a CSS query or XPath expression: zero or more <see cref="Selector"/>s, in document order.</summary>
public sealed class SelectorList : IReadOnlyList<Selector>
{
    /// <summary>How long one <c>Re</c> match may run before it throws <see cref="RegexMatchTimeoutException"/>, so a pathological pattern cannot stall a crawler worker.</summary>
    /// <value>10 seconds.</value>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<Selector> _items;

    /// <summary>Creates an empty list.</summary>
    public SelectorList()
    {
        _items = [];
    }

    internal SelectorList(IReadOnlyList<Selector> items)
    {
        _items = items;
    }

    /// <summary>An empty list.</summary>
    internal static SelectorList Empty { get; } = new();

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public Selector this[int index] => _items[index];

    /// <summary>Selects inside every node of the list, concatenating the results.</summary>
    /// <exception cref="SelectorSyntaxException">The query is not valid.</exception>
    public SelectorList Css(string query) => Css(CssQuery.Parse(query));

    /// <summary>Selects inside every node of the list with a parsed query, concatenating the results.</summary>
    public SelectorList Css(CssQuery query) => Select(query);

    /// <summary>Evaluates an XPath expression with every element of the list as the context node, concatenating the results.</summary>
    /// <exception cref="SelectorSyntaxException">The expression is not valid.</exception>
    public SelectorList XPath(string expression) => XPath(XPathQuery.Parse(expression));

    /// <summary>Evaluates a compiled XPath expression with every element of the list as the context node, concatenating the results.</summary>
    public SelectorList XPath(XPathQuery query) => Select(query);

    private SelectorList Select(INodeQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var results = new List<Selector>();
        foreach (var item in _items)
        {
            results.AddRange(item.Select(query));
        }

        return new SelectorList(results);
    }

    /// <summary>The first value, or <see langword="null"/> when the list is empty.</summary>
    public string? Get() => _items.Count > 0 ? _items[0].Get() : null;

    /// <summary>The first value, or <paramref name="defaultValue"/> when the list is empty.</summary>
    public string Get(string defaultValue) => _items.Count > 0 ? _items[0].Get() : defaultValue;

    /// <summary>Every value.</summary>
    public IReadOnlyList<string> GetAll()
    {
        var values = new string[_items.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = _items[i].Get();
        }

        return values;
    }

    /// <summary>The value of an attribute of the first element, or <see langword="null"/> when the list is empty, the first item is a string, or it lacks the attribute.</summary>
    public string? Attrib(string name) => _items.Count > 0 ? _items[0].Attrib(name) : null;

    /// <summary>
    /// Applies a regular expression to every value (<see cref="Selector.Re(string)"/>) and concatenates the results:
    /// group 1 when the pattern has groups, else the whole match. Patterns are compiled once and cached.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    /// <exception cref="RegexMatchTimeoutException">One match took longer than <see cref="RegexTimeout"/>.</exception>
    public IReadOnlyList<string> Re(string pattern) => Re(RegexCache.Get(pattern));

    /// <inheritdoc cref="Re(string)" />
    public IReadOnlyList<string> Re(Regex regex)
    {
        ArgumentNullException.ThrowIfNull(regex);
        var results = new List<string>();
        foreach (var item in _items)
        {
            RegexCache.Extract(regex, item.Get(), results, firstOnly: false);
        }

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
        foreach (var item in _items)
        {
            RegexCache.Extract(regex, item.Get(), results, firstOnly: true);
            if (results.Count > 0)
            {
                return results[0];
            }
        }

        return null;
    }

    /// <inheritdoc />
    public IEnumerator<Selector> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
