using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trawl.Spiders;

/// <summary>
/// A spider's own key/value store. Values are held as JSON, so a durable job persists them and restores
/// them on resume. Setting a value that does not serialize fails at once.
/// </summary>
public sealed class SpiderState
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The number of keys.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>Stores a value under a key, replacing any earlier one.</summary>
    public void Set<T>(string key, T value)
    {
        ArgumentNullException.ThrowIfNull(key);
        var node = JsonSerializer.SerializeToNode(value);
        lock (_gate)
        {
            _values[key] = node;
        }
    }

    /// <summary>Reads a value, or returns <paramref name="defaultValue"/> when the key is absent.</summary>
    public T? Get<T>(string key, T? defaultValue = default)
    {
        lock (_gate)
        {
            return _values.TryGetValue(key, out var node) ? (node is null ? default : node.Deserialize<T>()) : defaultValue;
        }
    }

    /// <summary>Returns whether a key is present.</summary>
    public bool Contains(string key)
    {
        lock (_gate)
        {
            return _values.ContainsKey(key);
        }
    }

    /// <summary>Removes a key; returns whether it was present.</summary>
    public bool Remove(string key)
    {
        lock (_gate)
        {
            return _values.Remove(key);
        }
    }

    /// <summary>Writes the whole state as one JSON object.</summary>
    public string ToJson()
    {
        lock (_gate)
        {
            var obj = new JsonObject();
            foreach (var (key, value) in _values)
            {
                obj[key] = value?.DeepClone();
            }

            return obj.ToJsonString();
        }
    }

    /// <summary>Replaces the state with the keys of a JSON object written by <see cref="ToJson"/>.</summary>
    /// <exception cref="JsonException">The text is not a JSON object.</exception>
    public void LoadJson(string json)
    {
        var obj = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("Spider state must be a JSON object.");
        lock (_gate)
        {
            _values.Clear();
            foreach (var (key, value) in obj)
            {
                _values[key] = value?.DeepClone();
            }
        }
    }
}
