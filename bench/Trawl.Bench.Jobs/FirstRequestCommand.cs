using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Trawl.Bench.Jobs;

/// <summary>
/// <c>first-request --port P -- COMMAND [ARGS...]</c>: listens on 127.0.0.1:P, starts COMMAND, and reports how long
/// after the start the first HTTP request arrived, and how long the command took in all. Every request is answered
/// with an empty 404, so a crawl pointed here fetches nothing and follows nothing.
/// </summary>
internal static class FirstRequestCommand
{
    private static readonly byte[] NotFound = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "The loopback port the command's requests go to.", Required = true, HelpName = "PORT" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the command before killing it (default 120).", DefaultValueFactory = _ => 120, HelpName = "SECONDS" };
        var commandLine = new Argument<string[]>("command") { Description = "The command to run, after --.", Arity = ArgumentArity.OneOrMore };

        var command = new Command("first-request", "Run a command and time its first HTTP request to a local listener, and its exit.") { port, timeout, commandLine };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(port), parse.GetValue(timeout), parse.GetValue(commandLine)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int port, double timeoutSeconds, string[] commandLine, CancellationToken cancellationToken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var firstRequest = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;

        var start = new ProcessStartInfo(commandLine[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in commandLine.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {commandLine[0]}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var serving = ServeAsync(listener, clock, firstRequest, () => Interlocked.Increment(ref requests), stop.Token);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await Console.Error.WriteLineAsync($"first-request: the command did not exit within {timeoutSeconds} s and was killed.");
        }

        var exit = clock.Elapsed;
        await stop.CancelAsync();
        listener.Stop();
        await serving;
        if (!process.HasExited)
        {
            await process.WaitForExitAsync(cancellationToken);
        }

        var (stdout, stderr) = (await output, await error);

        if (process.ExitCode != 0)
        {
            await Console.Error.WriteLineAsync($"first-request: the command exited with {process.ExitCode}.\n{stdout}{stderr}");
        }

        var first = firstRequest.Task.IsCompleted ? (await firstRequest.Task).TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture) : "none";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first_request_ms={first} exit_ms={exit.TotalMilliseconds:F1} requests={Volatile.Read(ref requests)} exit_code={process.ExitCode}"));
        return process.ExitCode == 0 && firstRequest.Task.IsCompleted ? 0 : 1;
    }

    private static async Task ServeAsync(TcpListener listener, Stopwatch clock, TaskCompletionSource<TimeSpan> firstRequest, Action counted, CancellationToken cancellationToken)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken);
                connections.Add(AnswerAsync(client, clock, firstRequest, counted, cancellationToken));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The command has exited and the listener is stopped.
        }

        await Task.WhenAll(connections);
    }

    private static async Task AnswerAsync(TcpClient client, Stopwatch clock, TaskCompletionSource<TimeSpan> firstRequest, Action counted, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                var received = 0;

                // The request's head ends at the first blank line; GET requests have no body.
                while (received < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(received), cancellationToken);
                    if (read == 0)
                    {
                        return;
                    }

                    if (received == 0)
                    {
                        firstRequest.TrySetResult(clock.Elapsed);
                    }

                    received += read;
                    if (buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8) >= 0)
                    {
                        break;
                    }
                }

                counted();
                await stream.WriteAsync(NotFound, cancellationToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
            {
                // The command went away mid-request; the timing it gave is already recorded.
            }
        }
    }
}
