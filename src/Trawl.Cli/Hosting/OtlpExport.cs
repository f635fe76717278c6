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
    private const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";

    private readonly TracerProvider? _traces;
    private readonly MeterProvider? _metrics;

    private OtlpExport(TracerProvider? traces, MeterProvider? metrics)
    {
        _traces = traces;
        _metrics = metrics;
    }

    /// <summary>
    /// What the environment asks for: null when it names no OTLP endpoint (nothing is exported, nothing listens);
    /// otherwise which signals to export. Called before the crawl does anything, so a bad setting stops it first.
    /// </summary>
    /// <exception cref="CliUsageException">An endpoint is not an http(s) URL, or the protocol is not one the exporter speaks.</exception>
    public static Signals? Configured()
    {
        foreach (var variable in (string[])[EndpointVariable, TracesEndpointVariable, MetricsEndpointVariable])
        {
            // The value is not repeated: a URL may hold a password.
            if (Value(variable) is { } value && !(Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
            {
                throw new CliUsageException($"{variable} must be an http:// or https:// URL, such as http://127.0.0.1:4317.");
            }
        }

        var all = Value(EndpointVariable) is not null;
        var signals = new Signals(Traces: all || Value(TracesEndpointVariable) is not null, Metrics: all || Value(MetricsEndpointVariable) is not null);
        if (!signals.Traces && !signals.Metrics)
        {
            return null;
        }

        if (Value(ProtocolVariable) is { } protocol && protocol is not ("grpc" or "http/protobuf"))
        {
            throw new CliUsageException($"{ProtocolVariable} '{protocol}' is not supported: use grpc (the default) or http/protobuf.");
        }

        return signals;
    }

    /// <summary>Starts exporting <paramref name="signals"/>.</summary>
    /// <param name="signals">What <see cref="Configured"/> returned.</param>
    /// <param name="worker">The worker id of a cluster worker, as <c>service.instance.id</c>; null for none.</param>
    public static OtlpExport Start(Signals signals, string? worker)
    {
        // The environment's detector comes last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
        void Resource(ResourceBuilder resource) => resource.Clear()
            .AddService("trawl", serviceVersion: typeof(CrawlTracing).Assembly.GetName().Version?.ToString(), serviceInstanceId: worker, autoGenerateServiceInstanceId: worker is null)
            .AddTelemetrySdk()
            .AddEnvironmentVariableDetector();
        return new OtlpExport(
            signals.Traces ? Sdk.CreateTracerProviderBuilder().ConfigureResource(Resource).AddSource(CrawlTracing.SourceName).AddOtlpExporter().Build() : null,
            signals.Metrics ? Sdk.CreateMeterProviderBuilder().ConfigureResource(Resource).AddMeter(CrawlMetrics.MeterName).AddOtlpExporter().Build() : null);
    }

    public void Dispose()
    {
        _traces?.Dispose();
        _metrics?.Dispose();
    }

    private static string? Value(string variable) => Environment.GetEnvironmentVariable(variable) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>Which signals go out over OTLP.</summary>
    internal sealed record Signals(bool Traces, bool Metrics);
}
