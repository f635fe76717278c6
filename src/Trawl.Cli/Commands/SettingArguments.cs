using System.CommandLine;
using System.Globalization;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>-s NAME=VALUE</c> (<c>--set</c>), as in Scrapy: a setting, given by its Scrapy name (<c>DOWNLOAD_DELAY=1</c>)
/// or by the name of the trawl flag that sets it (<c>delay=1</c>). Each one is turned into that flag before the
/// command line is parsed, so a setting is checked exactly as its flag is.
/// </summary>
internal static class SettingArguments
{
    /// <summary>The option's names.</summary>
    public static readonly string[] Names = ["--set", "-s"];

    /// <summary>Scrapy's settings that trawl has, and the flags they become.</summary>
    private static readonly Dictionary<string, Func<string, string[]>> Scrapy = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CONCURRENT_REQUESTS"] = value => ["--concurrency", value],
        ["CONCURRENT_REQUESTS_PER_DOMAIN"] = value => ["--concurrency-per-domain", value],
        ["DOWNLOAD_DELAY"] = value => ["--delay", value],
        ["RANDOMIZE_DOWNLOAD_DELAY"] = value => Bool("RANDOMIZE_DOWNLOAD_DELAY", value) ? [] : ["--no-randomize-delay"],
        ["DOWNLOAD_TIMEOUT"] = value => ["--timeout", value],
        ["RETRY_ENABLED"] = value => Bool("RETRY_ENABLED", value) ? [] : ["--retries", "0"],
        ["RETRY_TIMES"] = value => ["--retries", value],
        ["RETRY_HTTP_CODES"] = value => ["--retry-status", value.Trim('[', ']', ' ').Replace(" ", string.Empty, StringComparison.Ordinal)],
        ["ROBOTSTXT_OBEY"] = value => Bool("ROBOTSTXT_OBEY", value) ? [] : ["--ignore-robots"],
        ["USER_AGENT"] = value => ["--user-agent", value],
        ["DEPTH_LIMIT"] = value => value.Trim() == "0" ? [] : ["--max-depth", value],
        ["CLOSESPIDER_PAGECOUNT"] = value => value.Trim() == "0" ? [] : ["--limit", value],
        ["CLOSESPIDER_ITEMCOUNT"] = value => value.Trim() == "0" ? [] : ["--item-limit", value],
        ["AUTOTHROTTLE_ENABLED"] = value => Bool("AUTOTHROTTLE_ENABLED", value) ? ["--autothrottle"] : [],
        ["AUTOTHROTTLE_START_DELAY"] = value => ["--autothrottle-start-delay", value],
        ["AUTOTHROTTLE_MAX_DELAY"] = value => ["--autothrottle-max-delay", value],
        ["AUTOTHROTTLE_TARGET_CONCURRENCY"] = value => ["--autothrottle-target-concurrency", value],
        ["JOBDIR"] = value => ["--jobdir", value],
        ["LOG_LEVEL"] = value => ["--log-level", value],
        ["LOG_FILE"] = value => ["--log-file", value],
    };

    /// <summary>The Scrapy settings <c>-s</c> knows, for the README and messages.</summary>
    public static IEnumerable<string> ScrapyNames => Scrapy.Keys.Order(StringComparer.Ordinal);

    /// <summary>Adds <c>--set</c> / <c>-s</c> to a command, for its help; <see cref="Expand"/> does the work.</summary>
    public static Option<string[]> Create() => new(Names[0], Names[1])
    {
        Description = "A setting, as in Scrapy: NAME=VALUE, with Scrapy's name (DOWNLOAD_DELAY=1, CONCURRENT_REQUESTS=8, ROBOTSTXT_OBEY=False...) or a flag's (delay=1) (repeatable).",
        HelpName = "NAME=VALUE",
    };

    /// <summary>
    /// Replaces each <c>-s NAME=VALUE</c> given to <paramref name="command"/> by the flag it stands for; returns the
    /// arguments unchanged when there is none.
    /// </summary>
    /// <exception cref="CliUsageException">A setting is not NAME=VALUE, or names no setting trawl has.</exception>
    public static string[] Expand(Command command, string[] args)
    {
        if (!command.Options.Any(option => option.Name == Names[0]) || !args.Any(arg => Names.Contains(arg, StringComparer.Ordinal) || Joined(arg) is not null))
        {
            return args;
        }

        var expanded = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--")
            {
                expanded.AddRange(args[i..]);
                break;
            }

            if (Joined(args[i]) is { } joined)
            {
                expanded.AddRange(Flag(command, joined.Name, joined.Setting));
            }
            else if (Names.Contains(args[i], StringComparer.Ordinal) && i + 1 < args.Length)
            {
                expanded.AddRange(Flag(command, args[i], args[++i]));
            }
            else
            {
                expanded.Add(args[i]);
            }
        }

        return [.. expanded];
    }

    // --set=NAME=VALUE or -s=NAME=VALUE, in one word.
    private static (string Name, string Setting)? Joined(string arg) =>
        Names.FirstOrDefault(name => arg.StartsWith(name + "=", StringComparison.Ordinal)) is { } name ? (name, arg[(name.Length + 1)..]) : null;

    private static string[] Flag(Command command, string given, string setting)
    {
        var equals = setting.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new CliUsageException(
                $"{given} sets a setting, as in Scrapy: {given} NAME=VALUE (for example {given} DOWNLOAD_DELAY=1)." +
                (Uri.TryCreate(setting, UriKind.Absolute, out _) ? $" For a start URL write --start {setting}." : string.Empty));
        }

        var name = setting[..equals].Trim();
        var value = setting[(equals + 1)..];
        if (Scrapy.TryGetValue(name, out var flag))
        {
            return flag(value);
        }

        var own = "--" + name.ToLowerInvariant().Replace('_', '-');
        if (!Names.Contains(own, StringComparer.Ordinal) && command.Options.FirstOrDefault(option => option.Name == own || option.Aliases.Contains(own)) is { } option)
        {
            return [option.Name, value];
        }

        var suggestion = CommandLineErrors.Closest(name.ToUpperInvariant(), Scrapy.Keys) is { } near ? $" Did you mean {near}?" : string.Empty;
        throw new CliUsageException(
            $"Unknown setting '{name}' in {given} {setting}.{suggestion} {given} takes a Scrapy setting trawl has ({string.Join(", ", ScrapyNames)}) " +
            $"or the name of one of the command's flags (for example {given} concurrency=8).");
    }

    private static bool Bool(string name, string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"Invalid setting {name}='{value}': expected True or False.")),
    };
}
