using System.Net;
using System.Net.Sockets;

namespace Trawl.Sandbox;

/// <summary>
/// A TCP server on a loopback port that accepts every connection and then never reads or writes a byte: the
/// server that "accepts the connection and never answers". Unlike <c>/trap/hang</c> there is no HTTP server behind
/// it at all, so not even the request is read. Connections stay open until the client gives up or the server is
/// disposed.
/// </summary>
public sealed class SilentServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _accepted = [];
    private readonly Lock _gate = new();
    private readonly Task _acceptLoop;
    private int _connections;

    private SilentServer(TcpListener listener)
    {
        _listener = listener;
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _acceptLoop = AcceptLoopAsync(_stop.Token);
    }

    /// <summary>The server's base URL, for example <c>http://127.0.0.1:54321/</c>.</summary>
    public Uri BaseUrl { get; }

    /// <summary>How many connections the server has accepted.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Starts listening on a free port of 127.0.0.1.</summary>
    /// <exception cref="SocketException">No port could be bound.</exception>
    public static SilentServer Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new SilentServer(listener);
    }

    /// <summary>Stops listening and closes every accepted connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(false);
        lock (_gate)
        {
            foreach (var socket in _accepted)
            {
                socket.Dispose();
            }

            _accepted.Clear();
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    _accepted.Add(socket);
                }

                Interlocked.Increment(ref _connections);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }
}
