using AngleSharp.Dom;
using Trawl.Html;

namespace Trawl.Selectors;

/// <summary>One field of a <see cref="FieldPlan"/>: a query, and whether every value it selects is wanted or only the first.</summary>
/// <param name="Query">The query, as a response's <c>Css(query)</c> or <c>XPath(query)</c> reads it.</param>
/// <param name="AllMatches">Whether every value is wanted (<c>GetAll()</c>) rather than the first (<c>Get()</c>).</param>
internal readonly record struct FieldQuery(INodeQuery Query, bool AllMatches = false);

/// <summary>
/// The fields a spider reads from every page, compiled once: run on a response with its <c>TryExtract</c>, which
/// evaluates them while tokenizing the page when they and the page
/// allow it, and from the parsed document otherwise. The values are the same either way: what
/// <c>response.Css(query).Get()</c> (or <c>GetAll()</c>) gives.
/// </summary>
/// <remarks>
/// A field streams when every selector of its query ends with <c>::text</c> or <c>::attr(name)</c> and is within
/// <see cref="StreamingSelector"/>'s subset; a field that selects elements (whose value is their HTML) or uses other
/// selectors makes the whole plan use the document, which is then parsed once for all fields; so do more than 64
/// selectors or selector parts (compounds) in all, and any XPath field.
/// </remarks>
internal sealed class FieldPlan
{
    private readonly FieldQuery[] _fields;
    private readonly StreamingFieldExtractor? _stream;

    private FieldPlan(FieldQuery[] fields)
    {
        _fields = fields;
        _stream = StreamingFieldExtractor.TryCreate(fields);
    }

    /// <summary>The fields, in order; values come back in the same order.</summary>
    public IReadOnlyList<FieldQuery> Fields => _fields;

    /// <summary>Whether every field can be evaluated while tokenizing (pages may still need the document).</summary>
    public bool CanStream => _stream is not null;

    /// <summary>Compiles fields.</summary>
    public static FieldPlan Create(IEnumerable<FieldQuery> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return new FieldPlan([.. fields]);
    }

    /// <summary>Compiles fields that each want the first value of a query: XPath or CSS, as <see cref="FieldSelectors.IsXPath"/> tells.</summary>
    /// <exception cref="SelectorSyntaxException">A query is not valid.</exception>
    public static FieldPlan FirstMatches(params IEnumerable<string> queries) =>
        Create(queries.Select(query => new FieldQuery(FieldSelectors.Parse(query))));

    /// <summary>Evaluates the fields while tokenizing <paramref name="html"/>; <see langword="null"/> when the plan or the page needs the document.</summary>
    internal FieldValues? TryStream(string html) => TryStream(html, out _);

    /// <summary>
    /// Evaluates the fields while tokenizing HTML held as a string (transcoded to UTF-8 for the tokenizer);
    /// <see langword="null"/>, with the reason, when the plan or the page needs the document.
    /// </summary>
    internal FieldValues? TryStream(string html, out string? reason)
    {
        using var utf8 = Utf8Html.Transcode(html);
        return TryStream(utf8.Span, out reason);
    }

    /// <summary>Evaluates the fields while tokenizing a page's UTF-8; <see langword="null"/>, with the reason, when the plan or the page needs the document.</summary>
    internal FieldValues? TryStream(ReadOnlySpan<byte> utf8, out string? reason)
    {
        if (_stream is null)
        {
            reason = "a field outside the streamable subset";
            return null;
        }

        return _stream.TryExtract(utf8, out reason);
    }

    /// <summary>Evaluates the fields on a parsed document.</summary>
    internal FieldValues Select(INode document)
    {
        var values = new IReadOnlyList<string>[_fields.Length];
        var selected = new List<Selector>();
        for (var i = 0; i < _fields.Length; i++)
        {
            selected.Clear();
            _fields[i].Query.Select(document, selected);
            values[i] = _fields[i].AllMatches
                ? [.. selected.Select(static selector => selector.Get())]
                : selected.Count > 0 ? [selected[0].Get()] : [];
        }

        return new FieldValues(values, streamed: false);
    }
}

/// <summary>The values of a <see cref="FieldPlan"/>'s fields on one page.</summary>
internal sealed class FieldValues
{
    private readonly IReadOnlyList<string>[] _values;

    internal FieldValues(IReadOnlyList<string>[] values, bool streamed)
    {
        _values = values;
        Streamed = streamed;
    }

    /// <summary>The number of fields.</summary>
    public int Count => _values.Length;

    /// <summary>Whether the values were found while tokenizing, without parsing the page.</summary>
    public bool Streamed { get; }

    /// <summary>A field's first value, or <see langword="null"/> when its query selects nothing.</summary>
    public string? this[int field] => _values[field].Count > 0 ? _values[field][0] : null;

    /// <summary>A field's values in document order (only the first for a field that does not want them all).</summary>
    public IReadOnlyList<string> All(int field) => _values[field];
}
