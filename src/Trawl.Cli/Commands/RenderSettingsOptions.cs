using System.CommandLine;
using Trawl.Browser;
using Trawl.Cli.Hosting;
using Trawl.Crawling;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Commands;

/// <summary>The options of rendering pages in a browser, and how they map onto <see cref="RenderOptions"/> and the browser.</summary>
internal sealed class RenderSettingsOptions
{
    public Option<string?> Render { get; } = new("--render") { Description = "Render pages in a browser: never (default), auto (only pages that need it, learned per site section) or always.", HelpName = "MODE" };

    public Option<string?> RenderWaitFor { get; } = new("--render-wait-for") { Description = "A rendered page is ready once this CSS selector matches (default: once the network is idle).", HelpName = "CSS" };

    public Option<double?> RenderTimeout { get; } = new("--render-timeout") { Description = "Seconds one rendered page may take (default 30).", HelpName = "SECONDS" };

    public Option<string?> RenderActions { get; } = new("--render-actions") { Description = "Page actions every rendered page goes through before it is read, as JSON, e.g. '[{\"scroll\": 3}, {\"click\": \"#more\"}, {\"wait_for\": \".item\"}]'.", HelpName = "JSON" };

    public Option<string?> Screenshots { get; } = new("--screenshots") { Description = "Save a full-page PNG of every rendered page in this directory, named after its request; its path is the item's screenshot field.", HelpName = "DIR" };

    public Option<string?> Browser { get; } = new("--browser") { Description = "The Chromium or Chrome executable (default: TRAWL_BROWSER, else chromium, chromium-browser or google-chrome on the PATH).", HelpName = "PATH" };

    public Option<int?> BrowserPages { get; } = new("--browser-pages") { Description = $"Pages rendered at once (default {BrowserOptions.DefaultMaxPages} here: twice the cores, 2 to 8).", HelpName = "N" };

    public Option<string?> RenderBlock { get; } = new("--render-block") { Description = "Kinds of request a rendered page may not make, comma-separated (default image,font,media; none for none).", HelpName = "TYPES" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Render, RenderWaitFor, RenderTimeout, RenderActions, Screenshots, Browser, BrowserPages, RenderBlock })
        {
            command.Add(option);
        }
    }

    /// <summary>The render mode given with <c>--render</c>, checked; <see langword="null"/> when not given.</summary>
    public RenderMode? Mode(ParseResult parse) => parse.GetValue(Render) is { } text
        ? DeclarativeSpider.ParseRenderMode(text) ?? throw new CliUsageException($"Invalid --render '{text}': use never, auto or always.")
        : null;

    /// <summary>
    /// Gives a declarative spider the render mode, wait selector and page actions given on the command line, which win
    /// over its file's.
    /// </summary>
    public void ApplyTo(ParseResult parse, DeclarativeSpiderDefinition definition)
    {
        definition.Render = Mode(parse)?.ToString().ToLowerInvariant() ?? definition.Render;
        definition.RenderWaitFor = parse.GetValue(RenderWaitFor) ?? definition.RenderWaitFor;
        if (Actions(parse) is { } actions)
        {
            definition.Actions = PageAction.ToJson(actions);
        }
    }

    /// <summary>Applies the render settings to the crawl's options.</summary>
    public void Apply(ParseResult parse, CrawlOptions options)
    {
        if (Mode(parse) is { } mode)
        {
            options.Render.Mode = mode;
        }

        if (Actions(parse) is { } actions)
        {
            options.Render.Actions = actions;
        }

        if (parse.GetValue(RenderWaitFor) is { } selector)
        {
            options.Render.WaitFor = !string.IsNullOrWhiteSpace(selector) ? selector.Trim() : throw new CliUsageException("--render-wait-for must be a CSS selector, such as h1 or #content.");
        }

        if (parse.GetValue(Screenshots) is { } directory)
        {
            options.Render.ScreenshotDirectory = !string.IsNullOrWhiteSpace(directory) ? directory : throw new CliUsageException("--screenshots must name a directory.");
        }

        if (parse.GetValue(RenderTimeout) is { } seconds)
        {
            options.Render.Timeout = double.IsFinite(seconds) && seconds > 0 && seconds < 86_400
                ? TimeSpan.FromSeconds(seconds)
                : throw new CliUsageException($"--render-timeout must be a number of seconds above 0, not {seconds}.");
        }
    }

    /// <summary>The page actions given with <c>--render-actions</c>, checked; <see langword="null"/> when not given.</summary>
    public IReadOnlyList<PageAction>? Actions(ParseResult parse)
    {
        if (parse.GetValue(RenderActions) is not { } json)
        {
            return null;
        }

        try
        {
            return PageAction.ParseList(json);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"Invalid --render-actions: {ex.Message}");
        }
    }

    /// <summary>The browser settings given on the command line.</summary>
    public BrowserSettings ReadBrowser(ParseResult parse)
    {
        var pages = parse.GetValue(BrowserPages);
        if (pages is not (null or (>= 1 and <= 256)))
        {
            throw new CliUsageException($"--browser-pages must be a whole number from 1 to 256, not {pages}.");
        }

        IReadOnlyCollection<string>? blocked = null;
        if (parse.GetValue(RenderBlock) is { } block)
        {
            var types = block.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            blocked = types is ["none"] ? [] : types.Length > 0 && types.All(Hosting.BrowserSettings.IsResourceType)
                ? types
                : throw new CliUsageException($"Invalid --render-block '{block}': give resource types separated by commas ({string.Join(", ", Hosting.BrowserSettings.ResourceTypes)}), or none.");
        }

        return new BrowserSettings(parse.GetValue(Browser), pages, blocked);
    }
}
