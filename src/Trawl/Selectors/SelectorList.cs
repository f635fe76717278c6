using System.Collections;

namespace Trawl.Selectors;

/// <summary>The result of a CSS query: zero or more <see cref="Selector"/>s, in document order.</summary>
public sealed class SelectorList : IReadOnlyList<Selector>
{
    private readonly IReadOnlyList<Selector> _items = [];

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public Selector this[int index] => _items[index];

    /// <summary>Selects inside every node of the list, concatenating the results.</summary>
    public SelectorList Css(string query) => throw new NotImplementedException();

    /// <summary>The first value, or <see langword="null"/> when the list is empty.</summary>
    public string? Get() => throw new NotImplementedException();

    /// <summary>The first value, or <paramref name="defaultValue"/> when the list is empty.</summary>
    public string Get(string defaultValue) => throw new NotImplementedException();

    /// <summary>Every value.</summary>
    public IReadOnlyList<string> GetAll() => throw new NotImplementedException();

    /// <inheritdoc />
    public IEnumerator<Selector> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
