using System.CommandLine;
using System.CommandLine.Help;
using System.Reflection;
using Trawl.Cli.Commands;
using Trawl.Cli.Hosting;
using Trawl.HttpCache;
using Trawl.Items;
using Trawl.Jobs;
using Trawl.Redis;
using Trawl.Spiders.Declarative;

namespace Trawl.Cli;

/// <summary>The trawl command line, for the <c>trawl</c> tool and for console apps that host their own spiders.</summary>
/// <example>
/// A console app with its own spiders gets every trawl command, with its spiders chosen by name:
/// <code>return await TrawlCli.RunAsync(args, typeof(QuotesSpider).Assembly);</code>
/// and then <c>dotnet run -- crawl quotes -o quotes.jsonl</c>.
/// </example>
public static class TrawlCli
{
    /// <summary>Runs the trawl command line with the spiders found in <paramref name="spiderAssemblies"/>.</summary>
    /// <returns>The process exit code: see <see cref="ExitCodes"/>.</returns>
    public static Task<int> RunAsync(string[] args, params Assembly[] spiderAssemblies) =>
        RunAsync(args, Console.Out, Console.Error, spiderAssemblies);

    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, params Assembly[] spiderAssemblies)
    {
        ArgumentNullException.ThrowIfNull(args);
        var catalog = new SpiderCatalog(spiderAssemblies);
        // The trawl tool's assembly is Trawl.Cli (a name 'trawl' would clash with Trawl.dll), so name the root command
        // after the command users type; a host app keeps its own name.
        var name = Assembly.GetEntryAssembly() == typeof(TrawlCli).Assembly ? "trawl" : RootCommand.ExecutableName;
        var root = new Command(name, "Trawl: web crawls that survive Ctrl+C, kill -9 and reboots, and resume where they stopped.")
        {
            new HelpOption(),
            new VersionOption(),
            CrawlCommand.Create(catalog, output),
            ParseCommand.Create(catalog, output, error),
            SpidersCommand.Create(catalog, output),
            DemoCommand.Create(output),
            SandboxCommand.Create(output),
            BenchCommand.Create(output, error),
            BenchCommand.Run(output, error),
            JobCommands.Status(output),
            JobCommands.RetryFailed(output),
            SeedCommand.Create(output),
            PauseCommand.Create(output),
            ResumeCommand.Create(output),
            ExportCommand.Create(output),
        };

        var parse = root.Parse(args);
        string? problem;
        try
        {
            // -s NAME=VALUE stands for a flag: parsed again with the flags, so each setting is checked as its flag is.
            var expanded = SettingArguments.Expand(parse.CommandResult.Command, args);
            if (!ReferenceEquals(expanded, args))
            {
                parse = root.Parse(expanded);
            }

            problem = CommandLineErrors.Describe(parse);
        }
        catch (CliUsageException ex)
        {
            problem = ex.Message;
        }

        if (problem is not null)
        {
            await error.WriteLineAsync($"trawl: {problem}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            var configuration = new InvocationConfiguration
            {
                // The engine handles Ctrl+C and SIGTERM itself: first pause, second stop.
                ProcessTerminationTimeout = null,
                EnableDefaultExceptionHandler = false,
                Output = output,
                Error = error,
            };
            return await parse.InvokeAsync(configuration).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CliUsageException or SpiderDefinitionException or JobDirectoryException or HttpCacheException or Browser.BrowserNotFoundException or Browser.BrowserLaunchException)
        {
            await error.WriteLineAsync($"trawl: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is RedisUnavailableException or RedisCrawlLostException)
        {
            // The message names the server without its password.
            await error.WriteLineAsync($"trawl: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
        catch (ItemExportException ex)
        {
            // An output another run is writing is a configuration problem, found as the crawl opened it.
            await error.WriteLineAsync($"trawl: {ex.Message}").ConfigureAwait(false);
            return ex.Problem == ItemExportProblem.InUse ? ExitCodes.Usage : ExitCodes.Error;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            await error.WriteLineAsync($"trawl: error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
        catch (Exception ex)
        {
            // A bug, not a user error: one line for the user; TRAWL_DEBUG=1 shows the whole exception.
            var detail = string.Equals(Environment.GetEnvironmentVariable("TRAWL_DEBUG"), "1", StringComparison.Ordinal) ? ex.ToString() : $"{ex.GetType().Name}: {ex.Message} (set TRAWL_DEBUG=1 for details)";
            await error.WriteLineAsync($"trawl: unexpected error: {detail}").ConfigureAwait(false);
            return ExitCodes.Error;
        }
    }
}
