using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// Exports the crawl's traces (<see cref="CrawlTracing"/>) and metrics (<see cref="CrawlMetrics"/>) with OpenTelemetry's
/// OTLP exporter when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (or one signal's own endpoint variable). The exporter
/// reads the other standard variables itself: <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (<c>grpc</c>, the default, or
/// <c>http/protobuf</c>), <c>OTEL_EXPORTER_OTLP_HEADERS</c>, <c>OTEL_EXPORTER_OTLP_TIMEOUT</c>,
/// <c>OTEL_METRIC_EXPORT_INTERVAL</c>, <c>OTEL_TRACES_SAMPLER</c> and the rest.
/// </summary>
/// <remarks>
/// The resource is <c>service.name</c> <c>trawl</c> and, for a cluster worker, <c>service.instance.id</c> its worker id;
/// <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> override both. Disposing flushes what is buffered, so a
/// short crawl's spans and final metrics are sent when the command ends.
/// </remarks>
internal sealed class OtlpExport : IDisposable
{
    /// <summary>The variable that turns the export on.</summary>
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private const string TracesEndpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    private const string MetricsEndpointVariable = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT";

    private readonly TracerProvider? _traces;
    private readonly MeterProvider? _metrics;

    private OtlpExport(TracerProvider? traces, MeterProvider? metrics)
    {
        _traces = traces;
        _metrics = metrics;
    }

    /// <summary>
    /// Starts exporting when the environment names an OTLP endpoint; otherwise returns <see langword="null"/> and nothing
    /// listens.
    /// </summary>
    /// <param name="worker">The worker id of a cluster worker, as <c>service.instance.id</c>; null for none.</param>
    public static OtlpExport? FromEnvironment(string? worker)
    {
        var all = IsSet(EndpointVariable);
        var traces = all || IsSet(TracesEndpointVariable);
        var metrics = all || IsSet(MetricsEndpointVariable);
        if (!traces && !metrics)
        {
            return null;
        }

        // The environment's detector comes last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
        void Resource(ResourceBuilder resource) => resource.Clear()
            .AddService("trawl", serviceVersion: typeof(CrawlTracing).Assembly.GetName().Version?.ToString(), serviceInstanceId: worker, autoGenerateServiceInstanceId: worker is null)
            .AddTelemetrySdk()
            .AddEnvironmentVariableDetector();
        return new OtlpExport(
            traces ? Sdk.CreateTracerProviderBuilder().ConfigureResource(Resource).AddSource(CrawlTracing.SourceName).AddOtlpExporter().Build() : null,
            metrics ? Sdk.CreateMeterProviderBuilder().ConfigureResource(Resource).AddMeter(CrawlMetrics.MeterName).AddOtlpExporter().Build() : null);
    }

    public void Dispose()
    {
        _traces?.Dispose();
        _metrics?.Dispose();
    }

    private static bool IsSet(string variable) => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable));
}
