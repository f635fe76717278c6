using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Trawl;

/// <summary>
/// What every options class does with a bad or late value: validation throws one <see cref="ArgumentException"/>
/// naming the option, and a change after the options were frozen (when a crawl started) throws an
/// <see cref="InvalidOperationException"/> naming it. The options classes live in the layers they configure; this is
/// their one shared rule, at the bottom, so none of them needs another.
/// </summary>
internal static class OptionChecks
{
    /// <summary>Throws an <see cref="ArgumentException"/> saying that <paramref name="option"/> <paramref name="problem"/>, unless <paramref name="condition"/> holds.</summary>
    public static void Require([DoesNotReturnIf(false)] bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Crawl option {option} {problem}.", option);
        }
    }

    /// <summary>
    /// The value to store in a setter: <paramref name="value"/>, unless the options are frozen. Use it as
    /// <c>set => field = OptionChecks.Set(_frozen, value, Prefix)</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The options are frozen.</exception>
    public static T Set<T>(bool frozen, T value, string prefix, [CallerMemberName] string property = "") =>
        frozen ? throw Frozen(prefix + property) : value;

    /// <summary>The exception for a change to <paramref name="option"/> after the crawl started.</summary>
    public static InvalidOperationException Frozen(string option) =>
        new($"Crawl option {option} cannot be changed: the options were frozen when a crawl started with them. Set every option before the crawl starts; for another crawl, use new options.");
}
