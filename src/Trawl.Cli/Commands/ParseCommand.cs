using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Trawl.Cli.Hosting;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Spiders;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl parse URL</c>, like <c>scrapy parse</c>: fetches one page and runs fields or a spider's callback on it,
/// printing one JSON line per item and per follow-up request, without crawling.
/// </summary>
internal static class ParseCommand
{
    private static readonly JsonSerializerOptions LineJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(SpiderCatalog catalog, TextWriter output, TextWriter error)
    {
        var url = new Argument<string>("url") { Description = "The page to fetch (http:// or https://)." };
        var spiderOption = new Option<string?>("--spider") { Description = "A C# spider by name (see 'trawl spiders') or a spider JSON file. Without it, --field and --follow describe the spider.", HelpName = "NAME|FILE" };
        var callback = new Option<string?>("--callback") { Description = "The spider method to parse the page with (default ParseAsync).", HelpName = "NAME" };
        var fields = new Option<string[]>("--field", "-f") { Description = FieldArgument.Description, HelpName = "NAME=SELECTOR" };
        var follow = new Option<string?>("--follow") { Description = "Selector of the links a declarative spider follows (default a[href]); they are printed, not fetched.", HelpName = "SELECTOR" };
        var allow = new Option<string[]>("--allow") { Description = "Follow links whose absolute URL matches REGEX (repeatable; default: the page's host).", HelpName = "REGEX" };
        var deny = new Option<string[]>("--deny", "-d") { Description = "Never follow links matching REGEX (repeatable).", HelpName = "REGEX" };
        var spiderArgs = new Option<string[]>("--arg", "-a") { Description = SpiderArguments.Description, HelpName = "NAME=VALUE" };
        var settings = new CrawlSettingsOptions();
        var fetch = new FetchOptions();
        var render = new RenderSettingsOptions();
        var command = new Command("parse", "Fetch one page and print what fields or a spider's callback get from it: one JSON line per item and per follow-up request.")
        {
            url, spiderOption, callback, fields, follow, allow, deny, spiderArgs,
            settings.UserAgent, settings.Proxy, settings.Timeout, settings.AllowPrivateRedirects, settings.LogLevel, settings.LogFile,
        };
        fetch.AddTo(command);
        render.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var page = ParseUrl(parse.GetValue(url)!);
            var declarative = parse.GetValue(fields)?.Length > 0 || parse.GetValue(follow) is not null || parse.GetValue(allow)?.Length > 0 || parse.GetValue(deny)?.Length > 0;
            Spider spider;
            if (parse.GetValue(spiderOption) is { } name && !CrawlCommand.LooksLikeFile(name))
            {
                spider = catalog.Create(name) ?? throw new CliUsageException(CrawlCommand.UnknownSpider(name, catalog));
                if (declarative)
                {
                    throw new CliUsageException($"--field, --follow, --allow and --deny describe a declarative spider; '{name}' is a C# spider and takes none of them.");
                }

                SpiderArguments.Apply(spider, parse.GetValue(spiderArgs) ?? []);
            }
            else
            {
                var definition = parse.GetValue(spiderOption) is { } file ? CrawlCommand.LoadDefinition(file) : new DeclarativeSpiderDefinition();
                if (definition.Start.Count == 0 && definition.StartFile is null)
                {
                    // The page is where the spider starts: it names the spider, and its host bounds the links followed.
                    definition.Start.Add(page.AbsoluteUri);
                }

                foreach (var field in parse.GetValue(fields) ?? [])
                {
                    FieldArgument.AddTo(definition, field);
                }
                definition.Follow = parse.GetValue(follow) ?? definition.Follow;
                definition.Allow.AddRange(parse.GetValue(allow) ?? []);
                definition.Deny.AddRange(parse.GetValue(deny) ?? []);
                render.ApplyTo(parse, definition);
                if (parse.GetValue(spiderArgs) is [var argument, ..])
                {
                    throw SpiderArguments.NotForDeclarative(argument, "--field, --follow, --allow");
                }

                spider = CrawlCommand.NewDeclarative(definition);
            }

            var options = settings.Build(parse);
            fetch.Apply(parse, options);
            render.Apply(parse, options);
            var level = parse.GetValue(settings.LogLevel) is { } text ? CliLogging.ParseLevel(text) : LogLevel.Warning;
            using var loggerFactory = CliLogging.Create(level, level, parse.GetValue(settings.LogFile));
            await using var renderer = render.ReadBrowser(parse).CreateRenderer(spider, options, loggerFactory);
            var builder = new CrawlerBuilder(spider, options).UseLoggerFactory(loggerFactory);
            if (renderer is not null)
            {
                builder.UseRenderer(renderer);
            }

            var crawler = builder.Build();
            await BrowserSettings.StartIfRenderingAsync(renderer, crawler).ConfigureAwait(false);
            var request = new Request(page) { Callback = parse.GetValue(callback) is { } method && method != nameof(Spider.ParseAsync) ? method : null };
            PageParseResult result;
            try
            {
                result = await crawler.ParseAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex) when (ex.ParamName == "request")
            {
                throw new CliUsageException(ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal));
            }

            foreach (var item in result.Items)
            {
                await output.WriteLineAsync(new JsonObject { ["item"] = item.DeepClone() }.ToJsonString(LineJson)).ConfigureAwait(false);
            }

            foreach (var next in result.Requests)
            {
                var line = new JsonObject { ["request"] = new JsonObject { ["url"] = next.Url.AbsoluteUri, ["callback"] = next.Callback ?? nameof(Spider.ParseAsync) } };
                await output.WriteLineAsync(line.ToJsonString(LineJson)).ConfigureAwait(false);
            }

            var answered = result.Response is { } response ? $"{response.Status} {response.Url}{(result.Rendered ? " (rendered)" : "")}" : page.AbsoluteUri;
            await error.WriteLineAsync(result.Succeeded
                ? $"trawl: {answered}: {result.Items.Count} items, {result.Requests.Count} requests."
                : $"trawl: {answered}: {result.ErrorKind}: {result.Error}").ConfigureAwait(false);
            return result.Succeeded ? ExitCodes.Finished : ExitCodes.Error;
        });
        return command;
    }

    private static Uri ParseUrl(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? uri
            : throw new CliUsageException($"Invalid URL '{text}': give an absolute http:// or https:// URL.");
}
