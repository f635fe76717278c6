using System.CommandLine;
using System.Runtime.InteropServices;
using Trawl.Sandbox;

namespace Trawl.Cli.Commands;

/// <summary><c>trawl sandbox serve|export</c>: the bundled synthetic site, served on loopback or written out as static files.</summary>
internal static class SandboxCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("sandbox", "Serve the bundled synthetic site on loopback, or write it out as static files.");
        command.Add(Serve(output));
        command.Add(Export(output));
        return command;
    }

    private static Command Serve(TextWriter output)
    {
        var site = new SandboxOptionsBinder(defaultPages: 1000);
        var port = new Option<int>("--port") { Description = "Port to listen on (default: a free port).", HelpName = "PORT" };
        var host = new Option<string>("--host") { Description = "Address to bind (default 127.0.0.1, loopback only).", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };
        // For a parent process (trawl bench): its pipe closes when it ends, however it ends, so no server is left behind.
        var exitOnStdinClose = new Option<bool>("--exit-on-stdin-close") { Description = "Also stop when standard input closes.", Hidden = true };
        var command = new Command("serve", "Serve the synthetic site until Ctrl+C.") { port, host, exitOnStdinClose };
        site.AddTo(command);
        command.SetAction(async (parse, _) =>
        {
            var options = site.Build(parse);
            options.Port = parse.GetValue(port);
            options.Host = parse.GetValue(host)!;
            options.EnableRequestLog = false;
            using var stop = new CancellationTokenSource();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
            await using var server = await SandboxServer.StartAsync(options, stop.Token).ConfigureAwait(false);
            await output.WriteLineAsync($"Serving {options.Pages:N0} pages at {server.BaseUrl} (Ctrl+C to stop).").ConfigureAwait(false);
            await output.FlushAsync(stop.Token).ConfigureAwait(false);
            var shutdown = server.WaitForShutdownAsync(stop.Token);
            // Reading standard input to its end cannot be cancelled; after a Ctrl+C the process ends without it.
            if (parse.GetValue(exitOnStdinClose) && await Task.WhenAny(shutdown, ReadToEndOfInputAsync()).ConfigureAwait(false) != shutdown)
            {
                await stop.CancelAsync().ConfigureAwait(false);
            }

            await shutdown.ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }

    private static async Task ReadToEndOfInputAsync()
    {
        await using var input = Console.OpenStandardInput();
        await input.CopyToAsync(Stream.Null).ConfigureAwait(false);
    }

    private static Command Export(TextWriter output)
    {
        var site = new SandboxOptionsBinder(defaultPages: 50_000);
        var directory = new Argument<string>("directory") { Description = "Where to write the site." };
        var baseUrl = new Option<string>("--base-url") { Description = "The URL the files will be served at (default http://127.0.0.1:8080/).", DefaultValueFactory = _ => "http://127.0.0.1:8080/", HelpName = "URL" };
        var command = new Command("export", "Write the synthetic site as static files, to serve with nginx.") { directory, baseUrl };
        site.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = site.Build(parse);
            if (!Uri.TryCreate(parse.GetValue(baseUrl), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliUsageException($"Invalid --base-url '{parse.GetValue(baseUrl)}': give an absolute http:// URL.");
            }

            var target = parse.GetValue(directory)!;
            var files = await SandboxExporter.ExportAsync(target, options, url, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Wrote {files:N0} files to {Path.GetFullPath(target)}.").ConfigureAwait(false);
            return ExitCodes.Finished;
        });
        return command;
    }
}
