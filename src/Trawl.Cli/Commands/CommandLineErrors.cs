using System.CommandLine;
using System.CommandLine.Parsing;

namespace Trawl.Cli.Commands;

/// <summary>
/// How a bad command line is reported: in one line, naming the word that is wrong. A mistyped flag is named with the
/// flag that was probably meant (<c>--limt 3</c> is "--limt, did you mean --limit?", not a stray <c>3</c> or a bad URL
/// after it), and a value of the wrong type says what was expected, not a .NET type name.
/// </summary>
internal static class CommandLineErrors
{
    /// <summary>The message for what is wrong with <paramref name="parse"/>, or <see langword="null"/> when nothing is.</summary>
    public static string? Describe(ParseResult parse)
    {
        if (UnknownOption(parse) is { } unknown)
        {
            return unknown;
        }

        if (parse.Errors.Count == 0)
        {
            return null;
        }

        var error = parse.Errors[0];
        var (option, tokens) = error.SymbolResult switch
        {
            ArgumentResult { Parent: OptionResult parent } argument => (parent.Option, argument.Tokens),
            OptionResult result => (result.Option, result.Tokens),
            _ => (null, []),
        };
        return option is not null && tokens.Count > 0 && Expected(option.ValueType) is { } expected
            ? $"Invalid {option.Name} '{string.Join(' ', tokens.Select(token => token.Value))}': expected {expected}."
            : $"{error.Message.TrimEnd('.')}. Run '{CommandPath(parse)} --help' for usage.";
    }

    /// <summary>
    /// The message for the first word of <paramref name="parse"/> that looks like a flag (it starts with <c>-</c>) and is
    /// not one of the command's, unless an option took it as its value; <see langword="null"/> when there is none.
    /// </summary>
    private static string? UnknownOption(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var values = new HashSet<Token>(parse.CommandResult.Children.OfType<OptionResult>().SelectMany(option => option.Tokens));
        var unknown = parse.Tokens
            .TakeWhile(token => token.Type != TokenType.DoubleDash)
            .FirstOrDefault(token => token.Type == TokenType.Argument && LooksLikeAFlag(token.Value) && !values.Contains(token));
        if (unknown is null)
        {
            return null;
        }

        var word = unknown.Value.Split('=', 2)[0];
        var known = command.Options.SelectMany(option => option.Aliases.Prepend(option.Name)).Where(name => name.StartsWith("--", StringComparison.Ordinal));
        return Closest(word, known) is { } near
            ? $"Unknown option '{word}': did you mean {near}? Run '{CommandPath(parse)} --help' for the options."
            : $"Unknown option '{word}'. Run '{CommandPath(parse)} --help' for the options.";
    }

    /// <summary>The candidate nearest to <paramref name="word"/> (at most two edits away, fewer for short words), or <see langword="null"/>.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        var limit = word.Length <= 5 ? 1 : 2;
        return candidates
            .Select(candidate => (Candidate: candidate, Distance: Distance(word, candidate)))
            .Where(pair => pair.Distance <= limit)
            .OrderBy(pair => pair.Distance)
            .ThenBy(pair => pair.Candidate, StringComparer.Ordinal)
            .Select(pair => pair.Candidate)
            .FirstOrDefault();
    }

    // What a value of an option's type looks like, for a message; null for a type whose parser says it itself.
    private static string? Expected(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(double) => "a number",
        var t when t == typeof(bool) => "true or false",
        _ => null,
    };

    // A word such as -x or --word, not a negative number and not '-' alone (standard input, for some programs).
    private static bool LooksLikeAFlag(string value) =>
        value.Length > 1 && value[0] == '-' && !double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out _);

    // The words that name the command, as typed: "trawl crawl".
    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                names.Insert(0, command.Command.Name);
            }
        }

        return string.Join(' ', names);
    }

    // Edits (insert, delete, replace, swap two neighbours) from one word to the other, ignoring case.
    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant();
        b = b.ToLowerInvariant();
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
