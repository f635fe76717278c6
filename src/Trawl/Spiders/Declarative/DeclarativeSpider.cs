using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Trawl.Crawling;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Selectors;

namespace Trawl.Spiders.Declarative;

/// <summary>
/// Runs a <see cref="DeclarativeSpiderDefinition"/>: every fetched page yields one item (<c>url</c> plus one member
/// per field), and links matching the allow rules and no deny rule are followed.
/// </summary>
public sealed class DeclarativeSpider : Spider
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);
    private readonly Regex[] _allow;
    private readonly Regex[] _deny;
    private readonly HashSet<string> _startHosts;
    private readonly string[] _startUrls;
    private readonly string[] _sitemapUrls;
    private readonly bool _noFollow;
    private readonly KeyValuePair<string, string>[] _fields;
    private readonly FieldPlan _fieldPlan;
    private readonly INodeQuery _followQuery;
    private readonly RenderMode? _render;
    private readonly string? _renderWaitFor;
    private readonly IReadOnlyList<PageAction>? _actions;

    /// <summary>Validates a definition and builds the spider.</summary>
    /// <exception cref="SpiderDefinitionException">Something in the definition is invalid; the message says what.</exception>
    public DeclarativeSpider(DeclarativeSpiderDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _startUrls = [.. ReadStartUrls(definition)];
        _sitemapUrls = [.. CheckUrls(definition.Sitemap.Select(url => (Url: url, Where: string.Empty)), "sitemap")];
        _noFollow = definition.NoFollow;
        if (_startUrls.Length == 0 && _sitemapUrls.Length == 0 && !definition.StartOptional)
        {
            throw new SpiderDefinitionException("No start URL: give at least one with --start URL, --start-file FILE or --sitemap URL (\"start\" or \"sitemap\" in a spider file).");
        }

        _startHosts = new HashSet<string>(_startUrls.Select(url => new Uri(url).IdnHost), StringComparer.OrdinalIgnoreCase);
        _allow = [.. definition.Allow.Select(pattern => Compile(pattern, "allow"))];
        _deny = [.. definition.Deny.Select(pattern => Compile(pattern, "deny"))];
        _followQuery = FieldSelectors.Parse(ValidateSelector(definition.Follow, "follow"));
        AllowedStatuses = [.. (definition.AllowStatus ?? []).Select(ValidateStatus)];
        _fields = [.. definition.Fields.Select(field => KeyValuePair.Create(ValidateFieldName(field.Key), ValidateSelector(field.Value, $"field '{field.Key}'")))];
        _fieldPlan = FieldPlan.FirstMatches(_fields.Select(field => field.Value));
        _render = definition.Render is null ? null : ParseRenderMode(definition.Render)
            ?? throw new SpiderDefinitionException($"Invalid render mode '{definition.Render}': use never, auto or always.");
        _renderWaitFor = definition.RenderWaitFor is null ? null : ValidateSelector(definition.RenderWaitFor, "renderWaitFor");
        try
        {
            _actions = definition.Actions is { } actions ? PageAction.ParseList(actions) : null;
        }
        catch (ArgumentException ex)
        {
            throw new SpiderDefinitionException($"Invalid \"actions\": {ex.Message}", ex);
        }
        Name = !string.IsNullOrWhiteSpace(definition.Name) ? ValidateName(definition.Name)
            : _startUrls.Length > 0 ? StableName(_startUrls[0], definition.Allow)
            : _sitemapUrls.Length > 0 ? StableName(_sitemapUrls[0], definition.Allow)
            : throw new SpiderDefinitionException("A spider without start URLs needs a name (--name NAME, \"name\" in a spider file).");
        SettingsText = System.Text.Json.JsonSerializer.Serialize(new { definition.Allow, definition.Deny, definition.Follow, definition.Fields, definition.NoFollow });
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <inheritdoc />
    public override IEnumerable<string> StartUrls => _startUrls;

    /// <inheritdoc />
    public override IEnumerable<string> SitemapUrls => _sitemapUrls;

    internal override string SettingsText { get; }

    // A page a sitemap lists: its host was checked against the sitemap's; here it must match an allow rule, if any, and no deny rule.
    internal override bool AllowsSitemapEntry(Uri url) =>
        (_allow.Length == 0 || AnyMatches(_allow, url.AbsoluteUri)) && !AnyMatches(_deny, url.AbsoluteUri);

    /// <inheritdoc />
    public override IReadOnlyCollection<int> AllowedStatuses { get; }

    /// <summary>The render mode the definition asks for, if any.</summary>
    public RenderMode? Render => _render;

    /// <summary>Reads a render mode as written on a command line or in a spider file: <c>never</c>, <c>auto</c> or <c>always</c>.</summary>
    /// <returns>The mode, or <see langword="null"/> when the text names none.</returns>
    public static RenderMode? ParseRenderMode(string text) => text?.Trim().ToLowerInvariant() switch
    {
        "never" => RenderMode.Never,
        "auto" => RenderMode.Auto,
        "always" => RenderMode.Always,
        _ => null,
    };

    /// <inheritdoc />
    /// <remarks>Sets the render mode, wait selector and page actions the definition names, if it names them.</remarks>
    public override void ConfigureOptions(CrawlOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_render is { } mode)
        {
            options.Render.Mode = mode;
        }

        if (_renderWaitFor is not null)
        {
            options.Render.WaitFor = _renderWaitFor;
        }

        if (_actions is not null)
        {
            options.Render.Actions = _actions;
        }
    }

    /// <inheritdoc />
    /// <remarks>Also a page with a script on which every field of the definition comes out empty.</remarks>
    public override bool NeedsRendering(Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        var signals = PageSignals.Of(response);
        if (signals.LooksLikeAppShell)
        {
            return true;
        }

        if (_fields.Length == 0 || signals.Scripts == 0 || !response.TryExtract(_fieldPlan, out var values))
        {
            return false;
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (!string.IsNullOrWhiteSpace(values[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<object> ParseAsync(Response response, CancellationToken cancellationToken) =>
        Parse(response, cancellationToken).ToAsyncEnumerable();

    private static int ValidateStatus(int status) => status is >= 100 and <= 599
        ? status
        : throw new SpiderDefinitionException($"\"allowStatus\" lists {status}, which is not an HTTP status (100 to 599).");

    private IEnumerable<object> Parse(Response response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        var item = new JsonObject { ["url"] = response.Url.AbsoluteUri };

        // Fields are evaluated while tokenizing the page when they and the page allow it, else on the parsed page.
        var isHtml = response.TryExtract(_fieldPlan, out var values);
        for (var i = 0; i < _fields.Length; i++)
        {
            item[_fields[i].Key] = values?[i]?.Trim();
        }

        if (response.ScreenshotPath is { } screenshot)
        {
            item["screenshot"] = screenshot;
        }

        yield return item;
        if (!isHtml || _noFollow)
        {
            yield break;
        }

        foreach (var url in response.EachLink(_followQuery))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (IsAllowed(url.AbsoluteUri, response.Url))
            {
                yield return new Request(url);
            }
        }
    }

    /// <summary>Whether a link is followed: it matches an allow rule (or, with none, is on a start host) and no deny rule.</summary>
    public bool IsAllowed(string absoluteUrl) => IsAllowed(absoluteUrl, foundOn: null);

    // Without allow rules a link must be on a start host; a spider fed only by seeds has none, and then a link must be
    // on the host of the page it was found on.
    private bool IsAllowed(string absoluteUrl, Uri? foundOn)
    {
        ArgumentNullException.ThrowIfNull(absoluteUrl);
        bool allowed;
        if (_allow.Length == 0)
        {
            allowed = Uri.TryCreate(absoluteUrl, UriKind.Absolute, out var uri) && LinkResolver.HasFetchableHost(uri)
                && (_startHosts.Count > 0 ? _startHosts.Contains(uri.IdnHost) : string.Equals(foundOn?.IdnHost, uri.IdnHost, StringComparison.OrdinalIgnoreCase));
        }
        else
        {
            allowed = AnyMatches(_allow, absoluteUrl);
        }

        return allowed && !AnyMatches(_deny, absoluteUrl);
    }

    // A loop rather than Any(): this runs for every link found, and a lambda capturing the URL costs a closure each time.
    private static bool AnyMatches(Regex[] rules, string input)
    {
        foreach (var regex in rules)
        {
            if (SafeMatch(regex, input))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SafeMatch(Regex regex, string input)
    {
        try
        {
            return regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static IEnumerable<string> ReadStartUrls(DeclarativeSpiderDefinition definition)
    {
        var urls = definition.Start.Select(url => (Url: url, Where: string.Empty)).ToList();
        if (definition.StartFile is { } file)
        {
            if (Directory.Exists(file))
            {
                throw new SpiderDefinitionException($"Cannot read start file '{file}': it is a directory.");
            }

            try
            {
                urls.AddRange(File.ReadLines(file)
                    .Select((line, index) => (Url: line.Trim(), Where: $" (line {index + 1} of {file})"))
                    .Where(line => line.Url.Length > 0 && !line.Url.StartsWith('#')));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new SpiderDefinitionException($"Cannot read start file '{file}': {ex.Message}");
            }
        }

        return CheckUrls(urls, "start");
    }

    private static IEnumerable<string> CheckUrls(IEnumerable<(string Url, string Where)> urls, string what)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (raw, where) in urls)
        {
            var url = raw.Trim();
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !LinkResolver.HasFetchableHost(uri))
            {
                throw new SpiderDefinitionException($"Invalid {what} URL '{raw}'{where}: a {what} URL must be an absolute http:// or https:// URL.");
            }

            if (seen.Add(uri.AbsoluteUri))
            {
                yield return uri.AbsoluteUri;
            }
        }
    }

    private static Regex Compile(string pattern, string what)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new SpiderDefinitionException($"Invalid {what} regular expression '{pattern}': {ex.Message}");
        }
    }

    private static string ValidateSelector(string selector, string what)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            throw new SpiderDefinitionException($"The {what} selector is empty.");
        }

        try
        {
            FieldSelectors.Parse(selector);
            return selector;
        }
        catch (SelectorSyntaxException ex)
        {
            throw new SpiderDefinitionException($"Invalid {what} selector: {ex.Message}");
        }
    }

    private static string ValidateFieldName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || string.Equals(name, "url", StringComparison.Ordinal))
        {
            throw new SpiderDefinitionException($"Invalid field name '{name}': it must be non-empty and not 'url' (every item has a url).");
        }

        return name;
    }

    private static string ValidateName(string name)
    {
        if (name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
        {
            throw new SpiderDefinitionException($"Invalid spider name '{name}': use letters, digits, '-', '_' and '.', not starting with '.'.");
        }

        return name;
    }

    // The same start host and allow rules always give the same name, so re-running a command finds its job.
    private static string StableName(string firstStart, IEnumerable<string> allow)
    {
        var host = new Uri(firstStart).IdnHost;
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', allow.Prepend(host))));
        var slug = new string([.. host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '-')]);
        return $"{slug}-{Convert.ToHexStringLower(hash)[..8]}";
    }
}
