using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Prometheus;
using Trawl.Cli.Commands;
using Trawl.Sandbox.Hosting;

namespace Trawl.Cli.Hosting;

/// <summary>
/// <c>trawl crawl --metrics</c>: serves <c>GET /metrics</c> from a minimal Kestrel endpoint, for as long as the crawl
/// runs, written by prometheus-net's middleware in the Prometheus text format 0.0.4. Every other path answers 404, other
/// methods 405.
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

    /// <summary>The Content-Type of what the endpoint serves.</summary>
    internal const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly WebApplication _app;
    private readonly Endpoint _endpoint;

    private MetricsServer(WebApplication app, Endpoint endpoint, Uri url)
    {
        _app = app;
        _endpoint = endpoint;
        Url = url;
    }

    /// <summary>The metrics URL, with the port actually bound.</summary>
    public Uri Url { get; }

    /// <summary>
    /// Starts serving the Trawl meter's metrics, with <paramref name="constantLabels"/> on every sample. Until then the
    /// endpoint answers with no metrics. Call it once, before the crawl starts.
    /// </summary>
    public void Publish(IReadOnlyDictionary<string, string>? constantLabels) => _endpoint.Publish(new PrometheusMetrics(constantLabels));

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
        var endpoint = new Endpoint();
        app.Run(endpoint.HandleAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            var why = ex.InnerException is AddressInUseException ? "the port is already in use" : ex.InnerException?.Message ?? ex.Message;
            throw new CliUsageException($"Cannot serve metrics on {address}: {why}.");
        }

        var url = new Uri($"http://{MetricsAddress.Host(address.Address)}:{KestrelApp.BoundPort(app)}/metrics");
        return new MetricsServer(app, endpoint, url);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KestrelApp.StopAsync(_app, ShutdownTimeout).ConfigureAwait(false);
        }
        finally
        {
            _endpoint.Dispose();
        }
    }

    /// <summary>What the server answers: the path and method checked here, the metrics written by prometheus-net.</summary>
    private sealed class Endpoint : IDisposable
    {
        private volatile Published _published = new(null, Middleware(Metrics.NewCustomRegistry()));

        public void Publish(PrometheusMetrics metrics)
        {
            var previous = _published;
            _published = new Published(metrics, Middleware(metrics.Registry));
            previous.Metrics?.Dispose();
        }

        public Task HandleAsync(HttpContext context)
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

            response.Headers.CacheControl = "no-store";
            // prometheus-net sets the type only when it writes a metric; an empty page is the same format.
            response.ContentType = ContentType;
            return _published.Middleware.Invoke(context);
        }

        public void Dispose() => _published.Metrics?.Dispose();

        // OpenMetrics is not offered: it escapes help text otherwise than the text format, and prometheus-net writes help
        // as given, escaped here for the text format (PrometheusMetrics.HelpText).
        private static MetricServerMiddleware Middleware(CollectorRegistry registry) =>
            new(static _ => Task.CompletedTask, new MetricServerMiddleware.Settings { Registry = registry, EnableOpenMetrics = false });

        private sealed record Published(PrometheusMetrics? Metrics, MetricServerMiddleware Middleware);
    }
}
