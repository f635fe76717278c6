using System.CommandLine;
using Trawl.Cli.Hosting;
using Trawl.Logging;
using Trawl.Sandbox;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli.Commands;

/// <summary><c>trawl demo</c>: starts the bundled sandbox site on a free loopback port and crawls it, with no network needed.</summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter output)
    {
        var site = new SandboxOptionsBinder(defaultPages: 5000);
        var settings = new CrawlSettingsOptions();
        var render = new RenderSettingsOptions();
        var command = new Command("demo", "Crawl the bundled sandbox site on a free loopback port: see Trawl work with no network.");
        site.AddTo(command);
        settings.AddTo(command);
        render.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var siteOptions = site.Build(parse);
            var options = settings.Build(parse);
            render.Apply(parse, options);
            if (options.Render.Mode != Rendering.RenderMode.Never && parse.GetValue(site.AppPages) is null)
            {
                // Something to render: the section built by scripts, beside the plain pages.
                siteOptions.AppPages = 100;
            }

            if (options.Output is null)
            {
                // The demo's own file holds the last demo's items: its site's port differs from run to run.
                options.Output = Path.Combine(".trawl", "demo", "items.jsonl");
                options.OverwriteOutput = true;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
            }

            await CrawlSettingsOptions.CheckOutputAsync(options).ConfigureAwait(false);
            await using var server = await SandboxServer.StartAsync(siteOptions, cancellationToken).ConfigureAwait(false);
            var app = siteOptions.AppPages > 0 ? $", {siteOptions.AppPages:N0} pages built by scripts under /app/," : string.Empty;
            await output.WriteLineAsync($"Sandbox site: {siteOptions.Pages:N0} pages{app} and a quotes section at {server.BaseUrl}").ConfigureAwait(false);
            var spider = new DeclarativeSpider(new DeclarativeSpiderDefinition
            {
                Name = "demo",
                Start = [server.BaseUrl.AbsoluteUri],
                Fields = { ["title"] = "title::text", ["heading"] = "h1::text" },
            });
            var exitCode = await CrawlRunner.RunAsync(spider, options, settings.Common(parse) with { Browser = render.ReadBrowser(parse) }, output).ConfigureAwait(false);
            await output.WriteLineAsync($"The sandbox site answered {Wording.Count(server.TotalRequests, "request")}.").ConfigureAwait(false);
            return exitCode;
        });
        return command;
    }
}
