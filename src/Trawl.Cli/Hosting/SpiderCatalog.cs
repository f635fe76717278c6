using System.Reflection;
using Trawl.Spiders;

namespace Trawl.Cli.Hosting;

/// <summary>The C# spiders a host application offers, found by reflection and chosen by <see cref="Spider.Name"/>.</summary>
internal sealed class SpiderCatalog
{
    private readonly Dictionary<string, Type> _spiders = new(StringComparer.OrdinalIgnoreCase);

    public SpiderCatalog(IEnumerable<Assembly> assemblies)
    {
        foreach (var type in assemblies.Distinct().SelectMany(SafeTypes))
        {
            if (type.IsAbstract || !type.IsSubclassOf(typeof(Spider)) || type.GetConstructor(Type.EmptyTypes) is null || type.IsGenericTypeDefinition)
            {
                continue;
            }

            var spider = (Spider)Activator.CreateInstance(type)!;
            _spiders.TryAdd(spider.Name, type);
        }
    }

    public IEnumerable<string> Names => _spiders.Keys.Order(StringComparer.OrdinalIgnoreCase);

    public Spider? Create(string name) =>
        _spiders.TryGetValue(name, out var type) ? (Spider)Activator.CreateInstance(type)! : null;

    private static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.OfType<Type>();
        }
    }
}
