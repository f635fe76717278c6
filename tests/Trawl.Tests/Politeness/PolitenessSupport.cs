using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Trawl.Http;
using Trawl.Middleware;

namespace Trawl.Tests.Politeness;

/// <summary>Keeps every log message (formatted, with its exception) at every level, for tests that read the log.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Text => string.Join('\n', _lines);

    public ILoggerFactory CreateFactory() => LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency:0.0} {logLevel} {eventId.Id} {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}

/// <summary>Intervals between request times (<see cref="Stopwatch"/> timestamps), in milliseconds.</summary>
public static class RequestIntervals
{
    public static double[] Of(IEnumerable<long> timestamps)
    {
        var sorted = timestamps.Order().ToArray();
        return [.. sorted.Zip(sorted.Skip(1), static (a, b) => (b - a) * 1000.0 / Stopwatch.Frequency)];
    }

    public static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>
/// Records when each request leaves the middleware chain for the downloader: the crawler's own side of the spacing
/// between requests. The engine starts a domain's next request no sooner than its delay after the last one began, and
/// every middleware runs before that beginning, so with one request at a time per domain these times are spaced by
/// at least the delay however busy the machine is. Arrival times at a server are not: a request held up on the way
/// arrives closer to the next one.
/// </summary>
public sealed class RequestStartTimes : DownloaderMiddleware
{
    private readonly ConcurrentQueue<(string PathAndQuery, long Timestamp)> _starts = new();

    /// <summary>Every request seen (retries included), with its <see cref="Stopwatch"/> timestamp, in order.</summary>
    public IReadOnlyList<(string PathAndQuery, long Timestamp)> Starts => [.. _starts];

    public override ValueTask<Request?> ProcessRequestAsync(Request request, CancellationToken cancellationToken)
    {
        _starts.Enqueue((request.Url.PathAndQuery, Stopwatch.GetTimestamp()));
        return new(request);
    }
}

/// <summary>A loopback TCP server that handles each connection with a callback, for the tiny servers below.</summary>
public abstract class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    protected LoopbackServer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    protected CancellationToken Stopping => _stop.Token;

    protected abstract Task HandleAsync(TcpClient client, CancellationToken cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(RunAsync(client));
            }
        }
    }

    private async Task RunAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await HandleAsync(client, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The other side went away, or the server is stopping.
            }
        }
    }

    /// <summary>Reads an HTTP request head (up to the blank line) byte by byte, so nothing after it is consumed.</summary>
    protected static async Task<string?> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                return null;
            }

            head.Append((char)one[0]);
            if (head.Length > 64 * 1024)
            {
                return null;
            }
        }

        return head.ToString();
    }

    protected static async Task PipeAsync(Stream a, Stream b, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var one = a.CopyToAsync(b, linked.Token);
        var other = b.CopyToAsync(a, linked.Token);
        await Task.WhenAny(one, other);
        await linked.CancelAsync();
        await Task.WhenAll(one.ContinueWith(static _ => { }, TaskScheduler.Default), other.ContinueWith(static _ => { }, TaskScheduler.Default));
    }
}

/// <summary>
/// A tiny HTTP forward proxy: takes absolute-URI GETs (what an HTTP proxy gets for http:// targets), checks Basic
/// proxy credentials when it has some (answering 407 first, as real proxies do), and forwards each request on a fresh
/// connection with <c>Connection: close</c>. Counts what it forwarded. With <paramref name="connectTo"/> it connects to
/// that host (on the target's port) whatever host a request names, so a test can stand a loopback server in for a public
/// address.
/// </summary>
public sealed class TestHttpProxy(string? user = null, string? password = null, string? connectTo = null) : LoopbackServer
{
    private readonly ConcurrentQueue<string> _forwarded = new();
    private int _challenges;

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>The absolute URLs forwarded, in order.</summary>
    public IReadOnlyList<string> Forwarded => [.. _forwarded];

    /// <summary>How many requests were answered 407 for want of credentials.</summary>
    public int Challenges => Volatile.Read(ref _challenges);

    protected override async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        while (await ReadHeadAsync(stream, cancellationToken) is { } head)
        {
            var lines = head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            var parts = lines[0].Split(' ');
            var headers = lines.Skip(1).Select(static l => l.Split(':', 2)).ToDictionary(static p => p[0].Trim(), static p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            if (user is not null)
            {
                var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
                if (!headers.TryGetValue("Proxy-Authorization", out var given) || given != expected)
                {
                    Interlocked.Increment(ref _challenges);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n"), cancellationToken);
                    continue;
                }
            }

            var target = new Uri(parts[1]);
            _forwarded.Enqueue(target.AbsoluteUri);
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(connectTo ?? target.Host, target.Port, cancellationToken);
            var request = new StringBuilder($"{parts[0]} {target.PathAndQuery} HTTP/1.1\r\n");
            foreach (var (name, value) in headers)
            {
                if (!name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) && !name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    request.Append(name).Append(": ").Append(value).Append("\r\n");
                }
            }

            request.Append("Via: 1.1 test-proxy\r\nConnection: close\r\n\r\n");
            var up = upstream.GetStream();
            await up.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken);

            // The origin closes after its response (Connection: close); pass it on and close too.
            await up.CopyToAsync(stream, cancellationToken);
            return;
        }
    }
}

/// <summary>A minimal SOCKS5 server (RFC 1928): no authentication, CONNECT only, IPv4, domain and IPv6 addresses.</summary>
public sealed class TestSocks5Proxy : LoopbackServer
{
    private readonly ConcurrentQueue<string> _connects = new();

    public Uri Url => new($"socks5://127.0.0.1:{Port}");

    /// <summary>The targets connected to, as host:port.</summary>
    public IReadOnlyList<string> Connects => [.. _connects];

    protected override async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        var greeting = await ReadExactlyAsync(stream, 2, cancellationToken);
        var methods = await ReadExactlyAsync(stream, greeting[1], cancellationToken);
        if (greeting[0] != 5 || !methods.Contains((byte)0))
        {
            await stream.WriteAsync(new byte[] { 5, 0xFF }, cancellationToken);
            return;
        }

        await stream.WriteAsync(new byte[] { 5, 0 }, cancellationToken);
        var request = await ReadExactlyAsync(stream, 4, cancellationToken);
        string host = request[3] switch
        {
            1 => new IPAddress(await ReadExactlyAsync(stream, 4, cancellationToken)).ToString(),
            3 => Encoding.ASCII.GetString(await ReadExactlyAsync(stream, (await ReadExactlyAsync(stream, 1, cancellationToken))[0], cancellationToken)),
            4 => new IPAddress(await ReadExactlyAsync(stream, 16, cancellationToken)).ToString(),
            _ => throw new IOException("Unknown address type."),
        };
        var portBytes = await ReadExactlyAsync(stream, 2, cancellationToken);
        var port = (portBytes[0] << 8) | portBytes[1];
        if (request[1] != 1)
        {
            await stream.WriteAsync(new byte[] { 5, 7, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellationToken);
            return;
        }

        _connects.Enqueue($"{host}:{port}");
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(host, port, cancellationToken);
        await stream.WriteAsync(new byte[] { 5, 0, 0, 1, 0, 0, 0, 0, 0, 0 }, cancellationToken);
        await PipeAsync(stream, upstream.GetStream(), cancellationToken);
    }

    private static async Task<byte[]> ReadExactlyAsync(Stream stream, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }
}

/// <summary>
/// Answers each request with what a script returns for its path (status, extra header lines, body) and logs the
/// paths, closing the connection after each response.
/// </summary>
public sealed class ScriptedServer(Func<string, ScriptedResponse> script) : LoopbackServer
{
    private readonly ConcurrentQueue<string> _paths = new();

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public IReadOnlyList<string> Paths => [.. _paths];

    public static ScriptedServer RedirectingTo(Func<string> location) =>
        new(_ => new ScriptedResponse(302, $"Location: {location()}\r\n", ""));

    protected override async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        if (await ReadHeadAsync(stream, cancellationToken) is not { } head)
        {
            return;
        }

        var path = head.Split(' ')[1];
        _paths.Enqueue(path);
        var response = script(path);
        var body = Encoding.UTF8.GetBytes(response.Body);
        var text = $"HTTP/1.1 {response.Status} Scripted\r\n{response.Headers}Content-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken);
        await stream.WriteAsync(body, cancellationToken);
    }
}

/// <summary>
/// Answers <c>/robots.txt</c> at once with a 404, and holds every other request until <see cref="Release"/>, then answers
/// it with a 404 too: a start URL that keeps a crawl from finishing until the test says so.
/// </summary>
public sealed class HoldingServer : LoopbackServer
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

    public void Release() => _released.TrySetResult();

    protected override async Task HandleAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var stream = client.GetStream();
        while (await ReadHeadAsync(stream, cancellationToken) is { } head)
        {
            if (head.Split(' ')[1] != "/robots.txt")
            {
                await _released.Task.WaitAsync(cancellationToken);
            }

            await stream.WriteAsync("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), cancellationToken);
        }
    }
}

/// <summary>What a <see cref="ScriptedServer"/> answers: a status, header lines (each ending in CRLF) and a body.</summary>
public sealed record ScriptedResponse(int Status, string Headers, string Body);
