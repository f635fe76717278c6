using System.CommandLine;
using Trawl.Cli.Hosting;
using Trawl.Http;
using Trawl.Rendering;
using Trawl.Spiders;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Commands;

/// <summary><c>trawl crawl</c>: runs a C# spider by name, a spider JSON file, or a spider described by flags.</summary>
internal static class CrawlCommand
{
    public static Command Create(SpiderCatalog catalog, TextWriter output)
    {
        var spiderArgument = new Argument<string?>("spider")
        {
            Description = "A spider name (see 'trawl spiders') or a spider JSON file. Leave out to describe the spider with flags.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var start = new Option<string[]>("--start") { Description = "A start URL (repeatable).", HelpName = "URL" };
        var startFile = new Option<string?>("--start-file") { Description = "Read start URLs from FILE, one per line.", HelpName = "FILE" };
        var sitemap = new Option<string[]>("--sitemap") { Description = "Crawl the pages a sitemap, sitemap index or robots.txt lists, gzipped or not (repeatable).", HelpName = "URL" };
        var noFollow = new Option<bool>("--no-follow") { Description = "Fetch only the start URLs and the pages sitemaps list; follow no links." };
        var allow = new Option<string[]>("--allow") { Description = "Follow and fetch links whose absolute URL matches REGEX (repeatable; default: the start hosts).", HelpName = "REGEX" };
        var deny = new Option<string[]>("--deny", "-d") { Description = "Never follow links matching REGEX (repeatable).", HelpName = "REGEX" };
        var follow = new Option<string?>("--follow") { Description = "Selector of the links to follow: CSS, or XPath starting with /, ./ or ( (default a[href]).", HelpName = "SELECTOR" };
        var fields = new Option<string[]>("--field", "-f") { Description = FieldArgument.Description, HelpName = "NAME=SELECTOR" };
        var spiderArgs = new Option<string[]>("--arg", "-a") { Description = SpiderArguments.Description, HelpName = "NAME=VALUE" };
        var name = new Option<string?>("--name") { Description = "Name of a declarative spider (default: derived from the start host and allow rules; with --frontier, crawl).", HelpName = "NAME" };
        var settings = new CrawlSettingsOptions();
        var render = new RenderSettingsOptions();
        var fetch = new FetchOptions();

        var command = new Command("crawl", "Crawl with a C# spider, a spider JSON file, or a spider described by flags.")
        {
            spiderArgument, start, startFile, sitemap, noFollow, allow, deny, follow, fields, name, spiderArgs,
        };
        settings.AddTo(command);
        render.AddTo(command);
        fetch.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            var spiderName = parse.GetValue(spiderArgument);
            var declarativeFlags = parse.GetValue(start)?.Length > 0 || parse.GetValue(startFile) is not null || parse.GetValue(allow)?.Length > 0
                || parse.GetValue(sitemap)?.Length > 0 || parse.GetValue(noFollow)
                || parse.GetValue(deny)?.Length > 0 || parse.GetValue(follow) is not null || parse.GetValue(fields)?.Length > 0 || parse.GetValue(name) is not null;

            Spider spider;
            if (spiderName is not null && !LooksLikeFile(spiderName))
            {
                spider = catalog.Create(spiderName) ?? throw new CliUsageException(UnknownSpider(spiderName, catalog));
                if (declarativeFlags)
                {
                    throw new CliUsageException($"--start, --sitemap, --no-follow, --allow, --deny, --follow, --field and --name describe a declarative spider; '{spiderName}' is a C# spider and takes none of them.");
                }

                SpiderArguments.Apply(spider, parse.GetValue(spiderArgs) ?? []);
            }
            else
            {
                var definition = spiderName is null ? new DeclarativeSpiderDefinition() : LoadDefinition(spiderName);
                definition.Start.AddRange(parse.GetValue(start) ?? []);
                definition.StartFile = parse.GetValue(startFile) ?? definition.StartFile;
                definition.Sitemap.AddRange(parse.GetValue(sitemap) ?? []);
                definition.NoFollow |= parse.GetValue(noFollow);
                definition.Allow.AddRange(parse.GetValue(allow) ?? []);
                definition.Deny.AddRange(parse.GetValue(deny) ?? []);
                definition.Follow = parse.GetValue(follow) ?? definition.Follow;
                definition.Name = parse.GetValue(name) ?? definition.Name;
                render.ApplyTo(parse, definition);
                foreach (var field in parse.GetValue(fields) ?? [])
                {
                    FieldArgument.AddTo(definition, field);
                }

                if (parse.GetValue(spiderArgs) is [var argument, ..])
                {
                    throw SpiderArguments.NotForDeclarative(argument, "--start, --allow, --field");
                }

                if (parse.GetValue(settings.Frontier) is not null)
                {
                    // Every worker of a shared crawl must agree on its name, so it must not depend on the start URLs;
                    // and its work may come only from seeds (trawl seed, the start_urls list).
                    definition.Name ??= "crawl";
                    definition.StartOptional = true;
                }

                spider = NewDeclarative(definition);
            }

            var options = settings.Build(parse);
            render.Apply(parse, options);
            fetch.Apply(parse, options);
            settings.ApplyJob(parse, options, spider.Name);
            await CrawlSettingsOptions.CheckOutputAsync(options).ConfigureAwait(false);
            return await CrawlRunner.RunAsync(spider, options, settings.Common(parse) with { Browser = render.ReadBrowser(parse) }, output).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Whether a spider argument names a spider file rather than a C# spider.</summary>
    internal static bool LooksLikeFile(string value) =>
        value.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || value.Contains('/', StringComparison.Ordinal) || File.Exists(value);

    internal static DeclarativeSpiderDefinition LoadDefinition(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"Spider file '{path}' does not exist.");
        }

        try
        {
            return DeclarativeSpiderDefinition.Load(path);
        }
        catch (SpiderDefinitionException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    internal static DeclarativeSpider NewDeclarative(DeclarativeSpiderDefinition definition)
    {
        try
        {
            return new DeclarativeSpider(definition);
        }
        catch (SpiderDefinitionException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    internal static string UnknownSpider(string name, SpiderCatalog catalog)
    {
        var known = catalog.Names.ToList();
        return known.Count == 0
            ? $"Unknown spider '{name}': this program has no C# spiders. Describe a spider with --start/--allow/--field, or pass a spider .json file."
            : $"Unknown spider '{name}'. Known spiders: {string.Join(", ", known)}.";
    }
}
