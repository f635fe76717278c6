using Trawl.Cli;

namespace Trawl.Tests.Support;

/// <summary>Runs the trawl command line in this process, capturing what it prints.</summary>
public static class CliRunner
{
    public static async Task<CliRun> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await TrawlCli.RunAsync(args, output, error, typeof(global::Trawl.Samples.Quotes.QuotesSpider).Assembly);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }
}

public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
