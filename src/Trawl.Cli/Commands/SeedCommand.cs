using System.CommandLine;
using System.Globalization;
using System.Text;
using Trawl.Http;
using Trawl.Logging;
using Trawl.Redis;

namespace Trawl.Cli.Commands;

/// <summary><c>trawl seed</c>: adds start requests to a crawl shared on Redis; its workers pick them up while they run.</summary>
internal static class SeedCommand
{
    public static Command Create(TextWriter output)
    {
        var target = new ClusterTarget(required: true);
        var seeds = new Argument<string[]>("seed")
        {
            Description = "A URL to crawl, or a JSON request {\"url\":…,\"meta\":{…},\"priority\":N} as start_urls takes (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var file = new Option<string?>("--file") { Description = "Also read seeds from FILE, one per line (blank lines and # comments are skipped).", HelpName = "FILE" };
        var priority = new Option<int?>("--priority") { Description = "The priority of the plain URLs seeded, higher first (default 0); a JSON request gives its own.", HelpName = "N" };
        var command = new Command("seed", "Add start requests to a crawl shared on Redis; its workers pick them up while they run.") { seeds, file, priority };
        target.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Every seed is checked before anything is sent, so a typo seeds nothing.
            var requests = Parse(parse.GetValue(seeds) ?? [], parse.GetValue(file), parse.GetValue(priority) ?? 0);
            await using var crawl = await target.OpenAsync(parse, mayCreate: true, cancellationToken).ConfigureAwait(false);
            var added = await crawl.SeedAsync(requests, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Seeded {Wording.Count(requests.Count, "request")} into crawl '{crawl.Keys.SpiderName}' on {crawl.Endpoint}: {added:N0} new, {requests.Count - added:N0} already seen.")).ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    private static List<Request> Parse(string[] arguments, string? file, int priority)
    {
        var messages = arguments.Select((text, index) => (Text: text.Trim(), Where: $"argument {index + 1}")).ToList();
        if (file is not null)
        {
            try
            {
                messages.AddRange(File.ReadLines(file)
                    .Select((line, index) => (Text: line.Trim(), Where: $"line {index + 1} of {file}"))
                    .Where(line => line.Text.Length > 0 && !line.Text.StartsWith('#')));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"Cannot read seed file '{file}': {ex.Message}");
            }
        }

        if (messages.Count == 0)
        {
            throw new CliUsageException("Nothing to seed: give URLs (or JSON requests) as arguments, or --file FILE.");
        }

        return [.. messages.Select(message => ParseOne(message.Text, message.Where, priority))];
    }

    // The same two forms as start_urls messages: a URL, or a JSON request whose members RequestJson reads.
    private static Request ParseOne(string text, string where, int priority)
    {
        Request request;
        if (text.StartsWith('{'))
        {
            if (!SeedMessage.TryParse(Encoding.UTF8.GetBytes(text), out request, out var reason))
            {
                throw new CliUsageException($"Invalid JSON seed ({where}): {reason}");
            }
        }
        else
        {
            try
            {
                request = new Request(text) { Priority = priority };
            }
            catch (ArgumentException)
            {
                throw new CliUsageException($"Invalid seed URL '{text}' ({where}): a seed is an absolute http:// or https:// URL, or a JSON request.");
            }
        }

        try
        {
            RequestMeta.Validate(request);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException($"Invalid seed ({where}): {ex.Message}");
        }

        return request;
    }
}
