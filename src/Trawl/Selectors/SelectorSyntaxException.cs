namespace Trawl.Selectors;

/// <summary>
/// A CSS query or an XPath expression is not valid. The message quotes the query and says what is wrong with it.
/// </summary>
/// <remarks>
/// Thrown by <see cref="CssQuery.Parse"/>, <see cref="CssQuery.Validate"/>, <see cref="XPathQuery.Parse"/>,
/// <see cref="XPathQuery.Validate"/> and every <c>Css</c> and <c>XPath</c> method.
/// </remarks>
public sealed class SelectorSyntaxException : ArgumentException
{
    internal SelectorSyntaxException(string query, string reason)
        : this(query, reason, "CSS selector")
    {
    }

    private SelectorSyntaxException(string query, string reason, string language)
        : base($"Invalid {language} '{query}': {reason}.")
    {
        Query = query;
        Reason = reason;
    }

    /// <summary>The query that failed to parse, as given.</summary>
    public string Query { get; }

    /// <summary>What is wrong with the query, without the query itself.</summary>
    public string Reason { get; }

    /// <summary>An XPath expression that is not valid.</summary>
    internal static SelectorSyntaxException XPath(string expression, string reason) => new(expression, reason, "XPath expression");
}
