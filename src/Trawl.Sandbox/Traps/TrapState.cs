using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Trawl.Sandbox.Traps;

/// <summary>What the traps of one server remember between requests: request counters per key, for traps that change their answer.</summary>
internal sealed class TrapState
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counters = new(StringComparer.Ordinal);

    /// <summary>Counts one more request for <paramref name="key"/> and returns how many there were before it (0 for the first).</summary>
    public int CountRequest(string key) => Interlocked.Increment(ref _counters.GetOrAdd(key, static _ => new StrongBox<int>()).Value) - 1;
}
