using System.CommandLine;

namespace Trawl.Cli.Commands;

/// <summary><c>trawl resume</c>: releases the workers of a crawl that <c>trawl pause</c> paused.</summary>
internal static class ResumeCommand
{
    public static Command Create(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var command = new Command("resume", "Resume a crawl shared on Redis that 'trawl pause' paused: its workers go on.");
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var crawl = await target.OpenAsync(parse, mayCreate: false, cancellationToken).ConfigureAwait(false);
            if (!await crawl.IsPausedAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync($"Crawl '{crawl.Keys.SpiderName}' on {crawl.Endpoint} is not paused.").ConfigureAwait(false);
                return ExitCodes.Finished;
            }

            await crawl.ResumeAsync(cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Resumed crawl '{crawl.Keys.SpiderName}' on {crawl.Endpoint}: its workers go on.").ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }
}
