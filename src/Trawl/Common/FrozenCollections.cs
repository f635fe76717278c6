using System.Collections;
using System.Collections.ObjectModel;

namespace Trawl;

/// <summary>A list option that refuses changes once its options are frozen (see <see cref="OptionChecks"/>).</summary>
internal sealed class FreezableList<T>(string option) : Collection<T>
{
    private bool _frozen;

    /// <summary>Refuses every later change.</summary>
    public void Freeze() => _frozen = true;

    /// <inheritdoc />
    protected override void InsertItem(int index, T item)
    {
        ThrowIfFrozen();
        base.InsertItem(index, item);
    }

    /// <inheritdoc />
    protected override void SetItem(int index, T item)
    {
        ThrowIfFrozen();
        base.SetItem(index, item);
    }

    /// <inheritdoc />
    protected override void RemoveItem(int index)
    {
        ThrowIfFrozen();
        base.RemoveItem(index);
    }

    /// <inheritdoc />
    protected override void ClearItems()
    {
        ThrowIfFrozen();
        base.ClearItems();
    }

    private void ThrowIfFrozen()
    {
        if (_frozen)
        {
            throw OptionChecks.Frozen(option);
        }
    }
}

/// <summary>A dictionary option that refuses changes once its options are frozen (see <see cref="OptionChecks"/>).</summary>
internal sealed class FreezableDictionary<TKey, TValue>(string option, IEqualityComparer<TKey> comparer) : IDictionary<TKey, TValue>, IReadOnlyDictionary<TKey, TValue>
    where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _items = new(comparer);
    private bool _frozen;

    public int Count => _items.Count;

    public bool IsReadOnly => _frozen;

    public ICollection<TKey> Keys => _items.Keys;

    public ICollection<TValue> Values => _items.Values;

    IEnumerable<TKey> IReadOnlyDictionary<TKey, TValue>.Keys => _items.Keys;

    IEnumerable<TValue> IReadOnlyDictionary<TKey, TValue>.Values => _items.Values;

    public TValue this[TKey key]
    {
        get => _items[key];
        set
        {
            ThrowIfFrozen();
            _items[key] = value;
        }
    }

    /// <summary>Refuses every later change.</summary>
    public void Freeze() => _frozen = true;

    public void Add(TKey key, TValue value)
    {
        ThrowIfFrozen();
        _items.Add(key, value);
    }

    public void Add(KeyValuePair<TKey, TValue> item) => Add(item.Key, item.Value);

    public bool Remove(TKey key)
    {
        ThrowIfFrozen();
        return _items.Remove(key);
    }

    public bool Remove(KeyValuePair<TKey, TValue> item)
    {
        ThrowIfFrozen();
        return ((ICollection<KeyValuePair<TKey, TValue>>)_items).Remove(item);
    }

    public void Clear()
    {
        ThrowIfFrozen();
        _items.Clear();
    }

    public bool ContainsKey(TKey key) => _items.ContainsKey(key);

    public bool Contains(KeyValuePair<TKey, TValue> item) => ((ICollection<KeyValuePair<TKey, TValue>>)_items).Contains(item);

    public bool TryGetValue(TKey key, out TValue value) => _items.TryGetValue(key, out value!);

    public void CopyTo(KeyValuePair<TKey, TValue>[] array, int arrayIndex) => ((ICollection<KeyValuePair<TKey, TValue>>)_items).CopyTo(array, arrayIndex);

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void ThrowIfFrozen()
    {
        if (_frozen)
        {
            throw OptionChecks.Frozen(option);
        }
    }
}

/// <summary>A set option that refuses changes once its options are frozen (see <see cref="OptionChecks"/>).</summary>
internal sealed class FreezableSet<T>(string option, IEnumerable<T> initial) : ISet<T>, IReadOnlySet<T>
{
    private readonly HashSet<T> _items = [.. initial];
    private bool _frozen;

    public int Count => _items.Count;

    public bool IsReadOnly => _frozen;

    /// <summary>Refuses every later change.</summary>
    public void Freeze() => _frozen = true;

    public bool Add(T item)
    {
        ThrowIfFrozen();
        return _items.Add(item);
    }

    void ICollection<T>.Add(T item) => Add(item);

    public bool Remove(T item)
    {
        ThrowIfFrozen();
        return _items.Remove(item);
    }

    public void Clear()
    {
        ThrowIfFrozen();
        _items.Clear();
    }

    public void ExceptWith(IEnumerable<T> other)
    {
        ThrowIfFrozen();
        _items.ExceptWith(other);
    }

    public void IntersectWith(IEnumerable<T> other)
    {
        ThrowIfFrozen();
        _items.IntersectWith(other);
    }

    public void SymmetricExceptWith(IEnumerable<T> other)
    {
        ThrowIfFrozen();
        _items.SymmetricExceptWith(other);
    }

    public void UnionWith(IEnumerable<T> other)
    {
        ThrowIfFrozen();
        _items.UnionWith(other);
    }

    public bool Contains(T item) => _items.Contains(item);

    public bool IsProperSubsetOf(IEnumerable<T> other) => _items.IsProperSubsetOf(other);

    public bool IsProperSupersetOf(IEnumerable<T> other) => _items.IsProperSupersetOf(other);

    public bool IsSubsetOf(IEnumerable<T> other) => _items.IsSubsetOf(other);

    public bool IsSupersetOf(IEnumerable<T> other) => _items.IsSupersetOf(other);

    public bool Overlaps(IEnumerable<T> other) => _items.Overlaps(other);

    public bool SetEquals(IEnumerable<T> other) => _items.SetEquals(other);

    public void CopyTo(T[] array, int arrayIndex) => _items.CopyTo(array, arrayIndex);

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void ThrowIfFrozen()
    {
        if (_frozen)
        {
            throw OptionChecks.Frozen(option);
        }
    }
}
