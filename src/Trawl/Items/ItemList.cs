using System.Collections;
using System.Text.Json.Nodes;

namespace Trawl.Items;

/// <summary>The items a crawl kept in memory, with a bound; can export itself to JSON, JSON Lines or CSV.</summary>
public sealed class ItemList : IReadOnlyList<JsonObject>
{
    private readonly List<JsonObject> _items = [];

    internal ItemList(int capacity) => Capacity = capacity;

    /// <summary>The most items this list keeps.</summary>
    public int Capacity { get; }

    /// <summary>Whether items were dropped because the list was full.</summary>
    public bool Truncated { get; private set; }

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public JsonObject this[int index] => _items[index];

    /// <summary>Writes the items to a file, in the format its extension names (<c>.jsonl</c>, <c>.json</c> or <c>.csv</c>).</summary>
    public async Task SaveAsync(string path, CancellationToken cancellationToken = default)
    {
        var exporter = ItemExporters.Create(path, ItemExporters.FormatOf(path), resumeAt: null);
        await using var disposeExporter = exporter.ConfigureAwait(false);
        await exporter.WriteAsync(_items, cancellationToken).ConfigureAwait(false);
        await exporter.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public IEnumerator<JsonObject> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal void Add(JsonObject item)
    {
        if (_items.Count < Capacity)
        {
            _items.Add(item);
        }
        else
        {
            Truncated = true;
        }
    }
}
