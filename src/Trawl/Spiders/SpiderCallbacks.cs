using System.Collections.Concurrent;
using System.Reflection;
using Trawl.Http;

namespace Trawl.Spiders;

/// <summary>
/// Maps callback names to spider methods. A request stores its callback as a method name, so a request
/// restored from a job directory finds its method again; a name the spider no longer has is an error.
/// </summary>
internal static class SpiderCallbacks
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, MethodInfo>> Cache = new();

    /// <summary>The name recorded for a callback delegate: its method's name.</summary>
    public static string? NameOf(SpiderCallback? callback)
    {
        if (callback is null)
        {
            return null;
        }

        if (callback.Target is not Spider)
        {
            throw new ArgumentException(
                $"A callback must be an instance method of the spider so it can be restored by name; '{callback.Method.Name}' is not.",
                nameof(callback));
        }

        return callback.Method.Name == nameof(Spider.ParseAsync) ? null : callback.Method.Name;
    }

    /// <summary>Finds the callback a request names on a spider.</summary>
    /// <exception cref="UnknownCallbackException">The spider has no such method.</exception>
    public static SpiderCallback Resolve(Spider spider, string? name)
    {
        if (name is null || name == nameof(Spider.ParseAsync))
        {
            return spider.ParseAsync;
        }

        var methods = Cache.GetOrAdd(spider.GetType(), Discover);
        if (!methods.TryGetValue(name, out var method))
        {
            throw new UnknownCallbackException(spider.Name, name, methods.Keys);
        }

        return method.CreateDelegate<SpiderCallback>(spider);
    }

    /// <summary>The names of the spider's callbacks, <see cref="Spider.ParseAsync"/> first.</summary>
    public static IEnumerable<string> Names(Spider spider) => Cache.GetOrAdd(spider.GetType(), Discover).Keys.Prepend(nameof(Spider.ParseAsync));

    /// <summary>Returns whether the spider has a callback of that name.</summary>
    public static bool Exists(Spider spider, string? name) =>
        name is null || name == nameof(Spider.ParseAsync) || Cache.GetOrAdd(spider.GetType(), Discover).ContainsKey(name);

    private static Dictionary<string, MethodInfo> Discover(Type type)
    {
        var result = new Dictionary<string, MethodInfo>(StringComparer.Ordinal);
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (var method in current.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (method.ReturnType != typeof(IAsyncEnumerable<object>) || result.ContainsKey(method.Name))
                {
                    continue;
                }

                var parameters = method.GetParameters();
                if (parameters.Length == 2 && parameters[0].ParameterType == typeof(Response) && parameters[1].ParameterType == typeof(CancellationToken))
                {
                    result.Add(method.Name, method);
                }
            }
        }

        return result;
    }
}

/// <summary>A stored request names a callback that the spider does not have.</summary>
internal sealed class UnknownCallbackException : Exception
{
    internal UnknownCallbackException(string spider, string callback, IEnumerable<string> known)
        : base($"Spider '{spider}' has no callback named '{callback}'. Its callbacks are: {string.Join(", ", known.Prepend(nameof(Spider.ParseAsync)))}. " +
               "A request stored by an earlier version of the spider cannot be restored; rename the method back or start the job with --fresh.")
    {
        Callback = callback;
    }

    /// <summary>The callback name that was not found.</summary>
    public string Callback { get; }
}
