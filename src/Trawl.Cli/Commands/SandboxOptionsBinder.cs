using System.CommandLine;
using Trawl.Sandbox;

namespace Trawl.Cli.Commands;

/// <summary>The options that shape a sandbox site, shared by <c>demo</c>, <c>sandbox serve</c> and <c>sandbox export</c>.</summary>
internal sealed class SandboxOptionsBinder(int defaultPages)
{
    public Option<int> Pages { get; } = new("--pages") { Description = $"Number of synthetic pages (default {defaultPages}).", DefaultValueFactory = _ => defaultPages, HelpName = "N" };

    public Option<int?> Links { get; } = new("--links") { Description = "Links on each page (default 10).", HelpName = "K" };

    public Option<int?> PageSize { get; } = new("--page-size") { Description = "Approximate bytes per page (default 4096).", HelpName = "BYTES" };

    public Option<int?> BigPages { get; } = new("--big-pages") { Description = "How many pages are big, documentation-like pages of --big-page-min to --big-page-max bytes (default 0).", HelpName = "N" };

    public Option<int?> BigPageMin { get; } = new("--big-page-min") { Description = "Smallest size of a big page in bytes (default 1048576).", HelpName = "BYTES" };

    public Option<int?> BigPageMax { get; } = new("--big-page-max") { Description = "Largest size of a big page in bytes (default 10485760, at most 16 MiB).", HelpName = "BYTES" };

    public Option<int?> QuotePages { get; } = new("--quote-pages") { Description = "Pages in the quotes section (default 10).", HelpName = "N" };

    public Option<int?> AppPages { get; } = new("--app-pages") { Description = "Items in the section built by scripts from JSON, under /app/ (default 0: none).", HelpName = "N" };

    public void AddTo(Command command)
    {
        command.Add(AppPages);
        command.Add(Pages);
        command.Add(Links);
        command.Add(PageSize);
        command.Add(QuotePages);
        command.Add(BigPages);
        command.Add(BigPageMin);
        command.Add(BigPageMax);
    }

    public SandboxOptions Build(ParseResult parse)
    {
        var options = new SandboxOptions { Pages = parse.GetValue(Pages) };
        options.LinksPerPage = parse.GetValue(Links) ?? options.LinksPerPage;
        options.PageSize = parse.GetValue(PageSize) ?? options.PageSize;
        options.QuotePages = parse.GetValue(QuotePages) ?? options.QuotePages;
        options.AppPages = parse.GetValue(AppPages) ?? options.AppPages;
        options.BigPages = parse.GetValue(BigPages) ?? options.BigPages;
        options.BigPageMinSize = parse.GetValue(BigPageMin) ?? options.BigPageMinSize;
        options.BigPageMaxSize = parse.GetValue(BigPageMax) ?? options.BigPageMaxSize;
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(ex.Message);
        }

        return options;
    }
}
