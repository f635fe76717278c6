using System.CommandLine;
using System.Text.Json;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl status --frontier</c>: the whole shared crawl's state, read in one step (registered by
/// <see cref="JobCommands.Status"/>, which also shows job directories).
/// </summary>
internal static class ClusterStatusCommand
{
    public static async Task<int> RunAsync(ParseResult parse, ClusterTarget target, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
        var status = await crawl.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(ClusterStatusView.ToJson(crawl.Endpoint, crawl.Keys, status), JobCommands.Json)).ConfigureAwait(false);
        }
        else
        {
            foreach (var line in ClusterStatusView.Lines(crawl.Endpoint, crawl.Keys, status))
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }
        }

        return ExitCodes.Finished;
    }
}
