using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Trawl.Crawling;

namespace Trawl.Hosting;

/// <summary>
/// A crawl's settings from configuration: binds its section to <see cref="CrawlOptions"/> and its <c>Hosting</c> child to
/// <see cref="CrawlHostingOptions"/>, leaves the process's signals to the host, and validates both when the host starts,
/// so a typo, a value that does not convert and an out-of-range setting each stop the host with one message naming it.
/// </summary>
internal sealed class CrawlConfiguration(string sectionPath) :
    IPostConfigureOptions<CrawlOptions>, IValidateOptions<CrawlOptions>, IValidateOptions<CrawlHostingOptions>
{
    /// <summary>The child of a crawl's section that holds its <see cref="CrawlHostingOptions"/>.</summary>
    public const string HostingSection = "Hosting";

    private const string RetryStatusesKey = "Retry:HttpStatuses";

    /// <summary>The crawl's configuration section, which names its options.</summary>
    public string Name { get; } = sectionPath;

    // What binding found wrong with an options instance, kept until its validation reports it.
    private readonly ConditionalWeakTable<object, string> _problems = [];

    /// <summary>The binding steps, with the configuration of <paramref name="services"/> (none when it has no <see cref="IConfiguration"/>).</summary>
    public Binder For(IServiceProvider services) => new(this, services.GetService<IConfiguration>());

    /// <summary>In a host, the host handles the process's signals: its shutdown pauses the crawl.</summary>
    public void PostConfigure(string? optionsName, CrawlOptions options)
    {
        if (optionsName == Name && !options.IsFrozen)
        {
            options.HandleSignals = false;
        }
    }

    public ValidateOptionsResult Validate(string? optionsName, CrawlOptions options)
    {
        if (optionsName != Name)
        {
            return ValidateOptionsResult.Skip;
        }

        if (_problems.TryGetValue(options, out var problem))
        {
            return ValidateOptionsResult.Fail(problem);
        }

        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(Describe(ex, Name));
        }
    }

    public ValidateOptionsResult Validate(string? optionsName, CrawlHostingOptions options)
    {
        if (optionsName != Name)
        {
            return ValidateOptionsResult.Skip;
        }

        if (_problems.TryGetValue(options, out var problem))
        {
            return ValidateOptionsResult.Fail(problem);
        }

        var key = $"{Name}:{HostingSection}:";
        if (!Enum.IsDefined(options.WhenFinished))
        {
            return ValidateOptionsResult.Fail($"{key}{nameof(CrawlHostingOptions.WhenFinished)} must be {string.Join(" or ", Enum.GetNames<WhenCrawlFinished>())}.");
        }

        return options.PauseTimeout < TimeSpan.Zero
            ? ValidateOptionsResult.Fail($"{key}{nameof(CrawlHostingOptions.PauseTimeout)} must not be negative.")
            : ValidateOptionsResult.Success;
    }

    /// <summary>
    /// The core's message for an invalid setting (<c>Crawl option Downloader.Timeout must be positive.</c>), with the
    /// configuration key and environment variable that set it.
    /// </summary>
    internal static string Describe(ArgumentException ex, string section)
    {
        var message = ex.Message;
        if (ex.ParamName is not { } option)
        {
            return message;
        }

        var suffix = $" (Parameter '{option}')";
        if (message.EndsWith(suffix, StringComparison.Ordinal))
        {
            message = message[..^suffix.Length];
        }

        if (option.Contains('[', StringComparison.Ordinal))
        {
            return message;
        }

        var key = $"{section}:{option.Replace('.', ':')}";
        return $"{message} It is set by {key} (environment variable {key.Replace(":", "__", StringComparison.Ordinal)}).";
    }

    private void Record(object options, string problem) => _problems.AddOrUpdate(options, problem);

    /// <summary>Binds the configuration; what it cannot bind is recorded for the validation to report.</summary>
    internal sealed class Binder(CrawlConfiguration owner, IConfiguration? configuration) :
        IConfigureNamedOptions<CrawlOptions>, IConfigureNamedOptions<CrawlHostingOptions>
    {
        public void Configure(CrawlOptions options) => Configure(Options.DefaultName, options);

        public void Configure(CrawlHostingOptions options) => Configure(Options.DefaultName, options);

        public void Configure(string? name, CrawlOptions options)
        {
            if (name != owner.Name || configuration is null)
            {
                return;
            }

            var section = configuration.GetSection(owner.Name);
            var problem = UnknownKeys(section, typeof(CrawlOptions), HostingSection) ?? BindOrProblem(section, options) ?? BindRetryStatuses(section.GetSection(RetryStatusesKey), options.Retry);
            if (problem is not null)
            {
                owner.Record(options, problem);
            }
        }

        public void Configure(string? name, CrawlHostingOptions options)
        {
            if (name != owner.Name || configuration is null)
            {
                return;
            }

            var section = configuration.GetSection($"{owner.Name}:{HostingSection}");
            var problem = UnknownKeys(section, typeof(CrawlHostingOptions), except: null) ?? BindOrProblem(section, options);
            if (problem is not null)
            {
                owner.Record(options, problem);
            }
        }

        private static string? BindOrProblem(IConfigurationSection section, object options)
        {
            try
            {
                section.Bind(options);
                return null;
            }
            catch (InvalidOperationException ex)
            {
                // "Failed to convert configuration value 'abc' at 'Trawl:Concurrency' to type 'System.Int32'."
                return ex.Message;
            }
        }

        // The binder leaves a set it cannot replace as it was, so the statuses are read here: a list
        // (Retry:HttpStatuses:0 = 500 ...) or one comma-separated value ("500,503", or "none"), as --retry-status takes.
        private static string? BindRetryStatuses(IConfigurationSection section, RetryOptions retry)
        {
            var values = section.Value is { } single
                ? single.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : [.. section.GetChildren().Select(child => child.Value ?? string.Empty)];
            if (section.Value is null && values.Length == 0)
            {
                return null;
            }

            var statuses = new List<int>();
            foreach (var value in values)
            {
                if (values.Length == 1 && string.Equals(value, "none", StringComparison.OrdinalIgnoreCase))
                {
                    break;
                }

                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 599)
                {
                    return $"{section.Path} holds '{value}', which is not an HTTP status code: give codes such as 500,503,429 (or none).";
                }

                statuses.Add(status);
            }

            retry.HttpStatuses.Clear();
            statuses.ForEach(status => retry.HttpStatuses.Add(status));
            return null;
        }

        // Keys the options have no property for: a typo would otherwise do nothing, silently.
        private static string? UnknownKeys(IConfigurationSection section, Type type, string? except)
        {
            var unknown = new List<string>();
            FindUnknown(section, type, except, unknown);
            return unknown.Count == 0
                ? null
                : $"{string.Join(", ", unknown)} {(unknown.Count == 1 ? "is not a setting" : "are not settings")} of {type.Name}: check the spelling against its property names.";
        }

        private static void FindUnknown(IConfigurationSection section, Type type, string? except, List<string> unknown)
        {
            foreach (var child in section.GetChildren())
            {
                if (except is not null && string.Equals(child.Key, except, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
                if (property is null || property.GetIndexParameters().Length > 0)
                {
                    unknown.Add(child.Path);
                    continue;
                }

                var propertyType = property.PropertyType;
                if (DictionaryValueType(propertyType) is { } valueType)
                {
                    if (IsSettingsObject(valueType))
                    {
                        foreach (var entry in child.GetChildren())
                        {
                            FindUnknown(entry, valueType, except: null, unknown);
                        }
                    }
                }
                else if (IsSettingsObject(propertyType))
                {
                    FindUnknown(child, propertyType, except: null, unknown);
                }
            }
        }

        private static bool IsSettingsObject(Type type) => type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type);

        private static Type? DictionaryValueType(Type type) =>
            type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>) ? type.GetGenericArguments()[1] : null;
    }
}
