using System.CommandLine;
using Trawl.Sandbox;

namespace Trawl.Cli.Commands;

/// <summary>The options that shape a sandbox site, shared by <c>demo</c>, <c>sandbox serve</c> and <c>sandbox export</c>.</summary>
internal sealed class SandboxOptionsBinder(int defaultPages)
{
    public Option<int> Pages { get; } = new("--pages") { Description = $"Number of synthetic pages (default {defaultPages}).", DefaultValueFactory = _ => defaultPages, HelpName = "N" };

    public Option<int?> Links { get; } = new("--links") { Description = "Links on each page (default 10).", HelpName = "K" };

    public Option<int?> PageSize { get; } = new("--page-size") { Description = "Approximate bytes per page (default 4096).", HelpName = "BYTES" };

    public Option<int?> QuotePages { get; } = new("--quote-pages") { Description = "Pages in the quotes section (default 10).", HelpName = "N" };

    public Option<int?> AppPages { get; } = new("--app-pages") { Description = "Items in the section built by scripts from JSON, under /app/ (default 0: none).", HelpName = "N" };

    public void AddTo(Command command)
    {
        command.Add(AppPages);
        command.Add(Pages);
        command.Add(Links);
        command.Add(PageSize);
        command.Add(QuotePages);
    }

    public SandboxOptions Build(ParseResult parse)
    {
        var options = new SandboxOptions { Pages = parse.GetValue(Pages) };
        options.LinksPerPage = parse.GetValue(Links) ?? options.LinksPerPage;
        options.PageSize = parse.GetValue(PageSize) ?? options.PageSize;
        options.QuotePages = parse.GetValue(QuotePages) ?? options.QuotePages;
        options.AppPages = parse.GetValue(AppPages) ?? options.AppPages;
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
