using System.Collections.Concurrent;

namespace Trawl.Selectors;

/// <summary>
/// What was compiled from a string (a CSS query, an XPath expression, a regular expression), by that string, so a
/// spider that runs the same ones on every page compiles each once. Safe for concurrent use.
/// </summary>
/// <typeparam name="T">What the string compiles to.</typeparam>
/// <param name="capacity">How many entries are kept; when full, the cache starts over.</param>
/// <param name="compile">Compiles a string; what it throws reaches the caller, and nothing is cached.</param>
internal sealed class ParseCache<T>(int capacity, Func<string, T> compile)
    where T : class
{
    private readonly ConcurrentDictionary<string, T> _entries = new(StringComparer.Ordinal);

    /// <summary>The compiled form of <paramref name="text"/>, compiled now or earlier.</summary>
    public T Get(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_entries.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var compiled = compile(text);
        if (_entries.Count >= capacity)
        {
            // Spiders run a fixed set of queries, so a full cache means they are being built from data; starting over
            // bounds memory and lets the hot ones come back on their next use.
            _entries.Clear();
        }

        return _entries.GetOrAdd(text, compiled);
    }
}
