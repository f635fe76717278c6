using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Commands;

/// <summary>A <c>--field NAME=SELECTOR</c> argument, as <c>trawl crawl</c> and <c>trawl bench</c> take it.</summary>
internal static class FieldArgument
{
    /// <summary>Adds the field to <paramref name="definition"/> (a field of the same name is replaced).</summary>
    /// <exception cref="CliUsageException">It has no <c>=</c>, or an empty name.</exception>
    public static void AddTo(DeclarativeSpiderDefinition definition, string field)
    {
        var equals = field.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new CliUsageException($"Invalid --field '{field}': write it as NAME=SELECTOR, for example title=h1::text.");
        }

        definition.Fields[field[..equals].Trim()] = field[(equals + 1)..].Trim();
    }
}
