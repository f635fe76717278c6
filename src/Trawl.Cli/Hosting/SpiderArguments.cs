using System.Globalization;
using System.Reflection;
using Trawl.Spiders;

namespace Trawl.Cli.Hosting;

/// <summary>Sets public properties of a C# spider from <c>--arg NAME=VALUE</c>, like Scrapy's <c>-a</c>.</summary>
internal static class SpiderArguments
{
    /// <summary>The help text of <c>--arg</c> / <c>-a</c>.</summary>
    public const string Description = "A spider argument, as in Scrapy: NAME=VALUE sets the C# spider's public property NAME (repeatable).";

    /// <summary>
    /// The usage error for <c>-a</c> given to a declarative spider, which has no properties to set. An argument without
    /// <c>=</c> is taken for the pattern of an old habit (<c>-a</c> was once <c>--allow</c>), and the message says to
    /// write <c>--allow</c>.
    /// </summary>
    /// <param name="argument">The first <c>-a</c> value.</param>
    /// <param name="spiderFlags">What a declarative spider takes instead, for the message.</param>
    public static CliUsageException NotForDeclarative(string argument, string spiderFlags) => new(
        $"-a/--arg passes an argument to a C# spider, as Scrapy's -a does; a declarative spider takes {spiderFlags} and the like." +
        (argument.Contains('=', StringComparison.Ordinal) ? string.Empty : $" To follow links matching '{argument}', write --allow '{argument}'."));

    /// <summary>Sets the spider's public properties named by <paramref name="arguments"/> (<c>NAME=VALUE</c> each).</summary>
    /// <exception cref="CliUsageException">An argument is not NAME=VALUE, names no settable property, or has a value of the wrong type.</exception>
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
