using System.CommandLine;
using Trawl.Cli.Hosting;

namespace Trawl.Cli.Commands;

/// <summary><c>trawl spiders</c>: lists the C# spiders this program offers.</summary>
internal static class SpidersCommand
{
    public static Command Create(SpiderCatalog catalog, TextWriter output)
    {
        var command = new Command("spiders", "List the C# spiders this program offers.");
        command.SetAction(_ =>
        {
            var names = catalog.Names.ToList();
            if (names.Count == 0)
            {
                output.WriteLine("No C# spiders here. A console app that calls TrawlCli.RunAsync(args, typeof(MySpider).Assembly) offers its spiders.");
            }

            foreach (var name in names)
            {
                output.WriteLine(name);
            }

            return ExitCodes.Finished;
        });
        return command;
    }
}
