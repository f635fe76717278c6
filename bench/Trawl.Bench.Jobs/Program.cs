using System.CommandLine;
using Trawl.Bench.Jobs;

var root = new RootCommand("Measurements of Trawl's durable job directories. See bench/README.md.")
{
    SeedCommand.Create(),
    OpenCommand.Create(),
    SimulateCommand.Create(),
    CrawlCommand.Create(),
    FirstRequestCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
