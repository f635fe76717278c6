using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Trawl.Cli.Commands;
using Trawl.Sandbox.Hosting;

namespace Trawl.Cli.Hosting;

/// <summary>
/// <c>trawl crawl --metrics</c>: serves <c>GET /metrics</c> in the Prometheus text format from a minimal Kestrel
/// endpoint, for as long as the crawl runs. Every other path answers 404, other methods 405.
/// </summary>
/// <remarks>
/// Every connection costs the crawler a file descriptor, so the endpoint keeps few and drops idle ones soon: a flood of
/// idle connections must not starve the crawl of descriptors. Prometheus needs one connection per scraper.
/// </remarks>
internal sealed class MetricsServer : IAsyncDisposable
{
    /// <summary>Connections open at once; past it, a new connection is closed as soon as it is accepted.</summary>
    internal const int MaxConnections = 16;

    /// <summary>How long a connection may sit without a request before it is closed.</summary>
    internal static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a request's headers may take to arrive.</summary>
    internal static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly WebApplication _app;

    private MetricsServer(WebApplication app, MetricsCollector collector, Uri url)
    {
        _app = app;
        Collector = collector;
        Url = url;
    }

    /// <summary>The metrics URL, with the port actually bound.</summary>
    public Uri Url { get; }

    public MetricsCollector Collector { get; }

    /// <summary>
    /// Starts listening, or throws <see cref="CliUsageException"/> when the address cannot be bound (a port in use, an
    /// address this machine does not have), so the crawl never starts.
    /// </summary>
    public static async Task<MetricsServer> StartAsync(MetricsAddress address, CancellationToken cancellationToken)
    {
        var app = KestrelApp.Create(address.Address, address.Port, ShutdownTimeout, kestrel =>
        {
            kestrel.Limits.MaxConcurrentConnections = MaxConnections;
            kestrel.Limits.KeepAliveTimeout = IdleTimeout;
            kestrel.Limits.RequestHeadersTimeout = HeadersTimeout;
        });
        var collector = new MetricsCollector();
        app.Run(context => HandleAsync(context, collector));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            collector.Dispose();
            await app.DisposeAsync().ConfigureAwait(false);
            var why = ex.InnerException is AddressInUseException ? "the port is already in use" : ex.InnerException?.Message ?? ex.Message;
            throw new CliUsageException($"Cannot serve metrics on {address}: {why}.");
        }

        var url = new Uri($"http://{MetricsAddress.Host(address.Address)}:{KestrelApp.BoundPort(app)}/metrics");
        return new MetricsServer(app, collector, url);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KestrelApp.StopAsync(_app, ShutdownTimeout).ConfigureAwait(false);
        }
        finally
        {
            Collector.Dispose();
        }
    }

    private static Task HandleAsync(HttpContext context, MetricsCollector collector)
    {
        var response = context.Response;
        if (!string.Equals(context.Request.Path.Value, "/metrics", StringComparison.Ordinal))
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return Task.CompletedTask;
        }

        response.ContentType = PrometheusText.ContentType;
        response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.WriteAsync(collector.Scrape(), context.RequestAborted);
    }
}
