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
internal sealed class MetricsServer : IAsyncDisposable
{
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
        var app = KestrelApp.Create(address.Address, address.Port, ShutdownTimeout);
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
