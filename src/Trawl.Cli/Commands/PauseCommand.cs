using System.CommandLine;

namespace Trawl.Cli.Commands;

/// <summary>
/// <c>trawl pause</c>: pauses every worker of a crawl shared on Redis. They finish the requests in flight, hand back the
/// ones they leased ahead, and wait without exiting until <c>trawl resume</c>.
/// </summary>
internal static class PauseCommand
{
    public static Command Create(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var command = new Command("pause", "Pause every worker of a crawl shared on Redis: they finish the requests in flight, hand back the rest and wait.");
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
            var name = crawl.Keys.SpiderName;
            if (await crawl.IsPausedAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync($"Crawl '{name}' on {crawl.Endpoint} is already paused; 'trawl resume' releases it.").ConfigureAwait(false);
                return ExitCodes.Finished;
            }

            await crawl.PauseAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Paused crawl '{name}' on {crawl.Endpoint}: its workers finish the requests in flight, hand back the rest and wait; 'trawl resume' releases them.").ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }
}
