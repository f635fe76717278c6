using System.Globalization;
using System.Reflection;
using Trawl.Spiders;

namespace Trawl.Cli.Hosting;

/// <summary>Sets public properties of a C# spider from <c>--arg NAME=VALUE</c>, like Scrapy's <c>-a</c>.</summary>
internal static class SpiderArguments
{
    /// <summary>The help text of <c>--arg</c> / <c>-a</c>.</summary>
    public const string Description = "A spider argument, as in Scrapy: NAME=VALUE sets the C# spider's public property NAME (repeatable).";

    public static void Apply(Spider spider, IEnumerable<string> arguments)
    {
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliUsageException($"Invalid --arg '{argument}': write it as NAME=VALUE.");
            }

            var name = argument[..equals].Trim();
            var text = argument[(equals + 1)..];
            var property = spider.GetType().GetProperty(name, BindingFlags.Instance | BindingFlags.Public | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite || property.SetMethod?.IsPublic != true)
            {
                var settable = spider.GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public)
                    .Where(p => p.SetMethod?.IsPublic == true && IsSupported(p.PropertyType)).Select(p => p.Name);
                throw new CliUsageException($"Spider '{spider.Name}' has no settable property '{name}'. Settable: {string.Join(", ", settable.DefaultIfEmpty("none"))}.");
            }

            property.SetValue(spider, Convert(text, property.PropertyType, name));
        }
    }

    private static bool IsSupported(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(Uri) || type == typeof(TimeSpan);
    }

    private static object? Convert(string text, Type type, string name)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (target == typeof(string))
            {
                return text;
            }

            if (target == typeof(Uri))
            {
                return new Uri(text, UriKind.Absolute);
            }

            if (target == typeof(TimeSpan))
            {
                return TimeSpan.Parse(text, CultureInfo.InvariantCulture);
            }

            if (IsSupported(target))
            {
                return System.Convert.ChangeType(text, target, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or InvalidCastException or UriFormatException)
        {
            throw new CliUsageException($"Invalid --arg {name}='{text}': expected a {target.Name}.");
        }

        throw new CliUsageException($"Spider property '{name}' is a {target.Name}, which --arg cannot set.");
    }
}
