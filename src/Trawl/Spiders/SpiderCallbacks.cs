using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Trawl.Http;

namespace Trawl.Spiders;

/// <summary>
/// Maps callback names to spider methods. A request stores its callback as a method name, so a request
/// restored from a job directory finds its method again; a name the spider no longer has is an error.
/// </summary>
/// <remarks>
/// A callback is <c>IAsyncEnumerable&lt;object&gt; Name(Response, CancellationToken)</c>, or, to take arguments,
/// <c>IAsyncEnumerable&lt;object&gt; Name(Response, TArgs, CancellationToken)</c>: the request's
/// <see cref="Request.CallbackArgs"/> are read as <c>TArgs</c>, a type the spider's own method names, never the stored data.
/// </remarks>
internal static class SpiderCallbacks
{
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, CallbackMethod>> Cache = new();
    private static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, MethodInfo>> Errbacks = new();

    private static readonly MethodInfo BindWithArgsMethod =
        typeof(SpiderCallbacks).GetMethod(nameof(BindWithArgs), BindingFlags.Static | BindingFlags.NonPublic)!;

    /// <summary>The name recorded for a callback delegate: its method's name, or <see langword="null"/> for <c>ParseAsync</c>.</summary>
    /// <exception cref="ArgumentException">
    /// The callback is a lambda or a local function (it has no name to restore it by), not a method of the spider, or
    /// one of two methods of the spider with the same name.
    /// </exception>
    public static string? NameOf(Delegate? callback)
    {
        if (callback is null)
        {
            return null;
        }

        var method = callback.Method;
        if (IsCompilerGenerated(method))
        {
            throw new ArgumentException(
                "A callback must be a named method of the spider, not a lambda or a local function: a request records its callback " +
                "by name, so that a stored request (a paused or crashed job, a shared crawl) finds it again, and a lambda has no name to " +
                "find. Declare a method such as 'IAsyncEnumerable<object> ParseDetail(Response response, CancellationToken cancellationToken)' " +
                "and pass ParseDetail; to hand it values, give it a parameter between the two, " +
                "'ParseDetail(Response response, DetailArgs args, CancellationToken cancellationToken)', and call Follow(href, ParseDetail, args).",
                nameof(callback));
        }

        if (callback.Target is not Spider spider)
        {
            throw new ArgumentException(
                $"A callback must be an instance method of the spider so it can be restored by name; '{method.Name}' is not.",
                nameof(callback));
        }

        if (method.Name == nameof(Spider.ParseAsync) && method.GetParameters().Length == 2)
        {
            return null;
        }

        // Found again by name when the response comes: it must be the one method of that name.
        Find(spider, method.Name);
        return method.Name;
    }

    /// <summary>Finds the callback a request names on a spider.</summary>
    /// <exception cref="UnknownCallbackException">The spider has no such method.</exception>
    /// <exception cref="ArgumentException">The spider has two callbacks of that name.</exception>
    public static SpiderCallback Resolve(Spider spider, string? name)
    {
        if (name is null || name == nameof(Spider.ParseAsync))
        {
            return spider.ParseAsync;
        }

        var callback = Find(spider, name);
        return callback.ArgsType is null
            ? callback.Method.CreateDelegate<SpiderCallback>(spider)
            : callback.Bind!(callback.Method, spider);
    }

    /// <summary>Finds the error callback a request names on a spider: <see cref="Spider.OnErrorAsync"/> for none.</summary>
    /// <exception cref="UnknownCallbackException">The spider has no such method.</exception>
    public static SpiderErrback ResolveErrback(Spider spider, string? name)
    {
        if (name is null || name == nameof(Spider.OnErrorAsync))
        {
            return spider.OnErrorAsync;
        }

        var methods = Errbacks.GetOrAdd(spider.GetType(), DiscoverErrbacks);
        if (!methods.TryGetValue(name, out var method))
        {
            throw new UnknownCallbackException(spider.Name, name, methods.Keys, nameof(Spider.OnErrorAsync), "error callback");
        }

        return method.CreateDelegate<SpiderErrback>(spider);
    }

    /// <summary>The names of the spider's callbacks, <see cref="Spider.ParseAsync"/> first.</summary>
    public static IEnumerable<string> Names(Spider spider) => Cache.GetOrAdd(spider.GetType(), Discover).Keys.Prepend(nameof(Spider.ParseAsync));

    /// <summary>Returns whether the spider has a callback of that name.</summary>
    public static bool Exists(Spider spider, string? name) =>
        name is null || name == nameof(Spider.ParseAsync) || Cache.GetOrAdd(spider.GetType(), Discover).ContainsKey(name);

    private static CallbackMethod Find(Spider spider, string name)
    {
        var methods = Cache.GetOrAdd(spider.GetType(), Discover);
        if (!methods.TryGetValue(name, out var callback))
        {
            throw new UnknownCallbackException(spider.Name, name, methods.Keys);
        }

        return callback.Ambiguous
            ? throw new ArgumentException(
                $"Spider '{spider.Name}' has more than one callback named '{name}'; a request names its callback, so give each a name of its own.",
                "callback")
            : callback;
    }

    // A lambda or a local function compiles to a method named like "<ParseAsync>b__3_0", often in a nested class.
    private static bool IsCompilerGenerated(MethodInfo method) =>
        method.Name.Contains('<', StringComparison.Ordinal)
        || method.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false)
        || method.DeclaringType?.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) == true;

    private static Dictionary<string, CallbackMethod> Discover(Type type)
    {
        var result = new Dictionary<string, CallbackMethod>(StringComparer.Ordinal);
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            var level = new Dictionary<string, CallbackMethod>(StringComparer.Ordinal);
            foreach (var method in current.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (method.ReturnType != typeof(IAsyncEnumerable<object>) || method.IsGenericMethodDefinition || IsCompilerGenerated(method))
                {
                    continue;
                }

                var parameters = method.GetParameters();
                var takesResponse = parameters.Length is 2 or 3 && parameters[0].ParameterType == typeof(Response) && parameters[^1].ParameterType == typeof(CancellationToken);
                if (!takesResponse || (parameters.Length == 3 && (parameters[1].ParameterType.IsByRef || parameters[1].ParameterType.IsPointer)))
                {
                    continue;
                }

                var argsType = parameters.Length == 3 ? parameters[1].ParameterType : null;
                var callback = new CallbackMethod(method, argsType, argsType is null ? null : BindWithArgsMethod.MakeGenericMethod(argsType).CreateDelegate<Func<MethodInfo, Spider, SpiderCallback>>());

                // An override is found again on its base type: the most derived one wins. Two of one name on one type
                // (an overload) cannot be told apart by name.
                level[method.Name] = level.ContainsKey(method.Name) ? callback with { Ambiguous = true } : callback;
            }

            foreach (var (name, callback) in level)
            {
                result.TryAdd(name, callback);
            }
        }

        return result;
    }

    // The spider's error callbacks: methods that take a (RequestFailure, CancellationToken) and return IAsyncEnumerable<object>.
    private static Dictionary<string, MethodInfo> DiscoverErrbacks(Type type)
    {
        var result = new Dictionary<string, MethodInfo>(StringComparer.Ordinal);
        for (var current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (var method in current.GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (method.ReturnType != typeof(IAsyncEnumerable<object>) || result.ContainsKey(method.Name) || IsCompilerGenerated(method))
                {
                    continue;
                }

                var parameters = method.GetParameters();
                if (parameters.Length == 2 && parameters[0].ParameterType == typeof(RequestFailure) && parameters[1].ParameterType == typeof(CancellationToken))
                {
                    result.Add(method.Name, method);
                }
            }
        }

        return result;
    }

    private static SpiderCallback BindWithArgs<TArgs>(MethodInfo method, Spider spider)
    {
        var typed = method.CreateDelegate<SpiderCallback<TArgs>>(spider);
        return (response, cancellationToken) => typed(response, ReadArgs<TArgs>(response.Request, method.Name), cancellationToken);
    }

    private static TArgs ReadArgs<TArgs>(Request request, string callback)
    {
        if (request.CallbackArgs is not { } json)
        {
            throw new InvalidOperationException(
                $"Callback '{callback}' takes {typeof(TArgs).Name} arguments, but the request for {request.Url} carries none: " +
                $"make it with response.Follow(href, {callback}, args), or set Request.CallbackArgs.");
        }

        try
        {
            return json.Deserialize<TArgs>()!;
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException(
                $"The arguments of the request for {request.Url} cannot be read as {typeof(TArgs).Name}, the arguments of callback '{callback}': {ex.Message}",
                ex);
        }
    }

    /// <summary>A callback method: its arguments' type (<see langword="null"/> for none), and how to bind it with them.</summary>
    private sealed record CallbackMethod(MethodInfo Method, Type? ArgsType, Func<MethodInfo, Spider, SpiderCallback>? Bind)
    {
        /// <summary>Whether the spider's type declares two callbacks of this name.</summary>
        public bool Ambiguous { get; init; }
    }
}

/// <summary>A stored request names a callback that the spider does not have.</summary>
internal sealed class UnknownCallbackException : Exception
{
    internal UnknownCallbackException(string spider, string callback, IEnumerable<string> known, string byDefault = nameof(Spider.ParseAsync), string what = "callback")
        : base($"Spider '{spider}' has no {what} named '{callback}'. Its {what}s are: {string.Join(", ", known.Prepend(byDefault))}. " +
               "A request stored by an earlier version of the spider cannot be restored; rename the method back or start the job with --fresh.")
    {
        Callback = callback;
    }

    /// <summary>The callback name that was not found.</summary>
    public string Callback { get; }
}
