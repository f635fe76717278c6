namespace Trawl.Selectors;

/// <summary>
/// A CSS query is not valid. The message quotes the query and says what is wrong with it.
/// </summary>
/// <remarks>Thrown by <see cref="CssQuery.Parse"/>, <see cref="CssQuery.Validate"/> and every <c>Css</c> method.</remarks>
public sealed class SelectorSyntaxException : ArgumentException
{
    internal SelectorSyntaxException(string query, string reason)
        : base($"Invalid CSS selector '{query}': {reason}.")
    {
        Query = query;
        Reason = reason;
    }

    /// <summary>The query that failed to parse, as given.</summary>
    public string Query { get; }

    /// <summary>What is wrong with the query, without the query itself.</summary>
    public string Reason { get; }
}
