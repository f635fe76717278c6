using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Trawl.Tests.Support;

/// <summary>
/// A tiny OTLP receiver on 127.0.0.1, for tests: OTLP/HTTP (<c>http/protobuf</c>, POST <c>/v1/traces</c> and
/// <c>/v1/metrics</c>) on HTTP/1.1, or OTLP/gRPC (the <c>TraceService/Export</c> and <c>MetricsService/Export</c> calls)
/// on cleartext HTTP/2. It reads what it receives with protobuf's wire format alone (field numbers from the OTLP
/// protos), keeping span and metric data as <see cref="ProtoMessage"/> trees, and answers every export with success.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _traces = new();
    private readonly ConcurrentQueue<byte[]> _metrics = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base URL to give as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request body received, as sent (for looking for what must not be there).</summary>
    public IReadOnlyList<byte[]> Bodies => [.. _traces, .. _metrics];

    public static async Task<OtlpReceiver> StartAsync(bool grpc)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;
        receiver.Endpoint = new Uri($"http://127.0.0.1:{port}");
        return receiver;
    }

    /// <summary>Every span received: the ResourceSpans' resource, the scope's name, and the Span message.</summary>
    public IReadOnlyList<ReceivedSpan> Spans() =>
    [
        .. from body in _traces
           from resourceSpans in ProtoMessage.Parse(body).Messages(1)
           from scopeSpans in resourceSpans.Messages(2)
           from span in scopeSpans.Messages(2)
           select new ReceivedSpan(Attributes(resourceSpans.Message(1)), scopeSpans.Message(1)?.String(1), span),
    ];

    /// <summary>Every metric received: the resource's attributes, the scope's name, and the Metric message.</summary>
    public IReadOnlyList<ReceivedMetric> Metrics() =>
    [
        .. from body in _metrics
           from resourceMetrics in ProtoMessage.Parse(body).Messages(1)
           from scopeMetrics in resourceMetrics.Messages(2)
           from metric in scopeMetrics.Messages(2)
           select new ReceivedMetric(Attributes(resourceMetrics.Message(1)), scopeMetrics.Message(1)?.String(1), metric),
    ];

    /// <summary>A list of KeyValue (field <paramref name="field"/> of <paramref name="message"/>), with string, bool, int or double values.</summary>
    public static Dictionary<string, object?> Attributes(ProtoMessage? message, int field = 1) =>
        message is null
            ? []
            : message.Messages(field).ToDictionary(pair => pair.String(1)!, pair => pair.Message(2) is { } value ? AnyValue(value) : null);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    private static object? AnyValue(ProtoMessage value) =>
        value.String(1) ?? (object?)(value.Has(2) ? value.Varint(2) != 0 : value.Has(3) ? (long)value.Varint(3) : value.Has(4) ? value.Double(4) : null);

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var path = context.Request.Path.Value ?? string.Empty;
        var grpc = context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        if (grpc)
        {
            // A gRPC message: a compressed flag, a 4-byte big-endian length, then the protobuf message.
            body.Length.ShouldBeGreaterThanOrEqualTo(5);
            body[0].ShouldBe((byte)0, "an uncompressed message");
            body = body[5..(5 + (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1, 4)))];
        }

        var queue = path switch
        {
            "/v1/traces" or "/opentelemetry.proto.collector.trace.v1.TraceService/Export" => _traces,
            "/v1/metrics" or "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export" => _metrics,
            _ => null,
        };
        if (queue is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        queue.Enqueue(body);
        if (grpc)
        {
            // An empty Export*ServiceResponse, then the call's status in the trailers.
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5]);
            context.Response.AppendTrailer("grpc-status", "0");
        }
        else
        {
            // An empty Export*ServiceResponse.
            context.Response.ContentType = "application/x-protobuf";
        }
    }
}

/// <summary>A span received by <see cref="OtlpReceiver"/>.</summary>
public sealed record ReceivedSpan(Dictionary<string, object?> Resource, string? Scope, ProtoMessage Span)
{
    public string Name => Span.String(5)!;

    public string TraceId => Convert.ToHexString(Span.Bytes(1)!);

    public string SpanId => Convert.ToHexString(Span.Bytes(2)!);

    public string ParentSpanId => Convert.ToHexString(Span.Bytes(4) ?? []);

    public IReadOnlyList<string> LinkedSpanIds => [.. Span.Messages(13).Select(link => Convert.ToHexString(link.Bytes(2)!))];

    public Dictionary<string, object?> Attributes => OtlpReceiver.Attributes(Span, 9);
}

/// <summary>A metric received by <see cref="OtlpReceiver"/>.</summary>
public sealed record ReceivedMetric(Dictionary<string, object?> Resource, string? Scope, ProtoMessage Metric)
{
    public string Name => Metric.String(1)!;

    /// <summary>A sum's data points (field 7, Sum; its field 1), each with its attributes and integer value.</summary>
    public IReadOnlyList<(Dictionary<string, object?> Attributes, long Value)> SumPoints =>
        [.. (Metric.Message(7)?.Messages(1) ?? []).Select(point => (OtlpReceiver.Attributes(point, 7), point.SFixed64(6)))];
}

/// <summary>One protobuf message read with the wire format alone: its fields by number, nested messages read on demand.</summary>
public sealed class ProtoMessage
{
    private readonly List<(int Field, WireFormat.WireType Type, object Value)> _fields = [];

    private ProtoMessage()
    {
    }

    public static ProtoMessage Parse(byte[] bytes)
    {
        var message = new ProtoMessage();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var field = WireFormat.GetTagFieldNumber(tag);
            var type = WireFormat.GetTagWireType(tag);
            object value = type switch
            {
                WireFormat.WireType.Varint => input.ReadUInt64(),
                WireFormat.WireType.Fixed64 => input.ReadFixed64(),
                WireFormat.WireType.Fixed32 => input.ReadFixed32(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes().ToByteArray(),
                _ => throw new FormatException($"Unexpected wire type {type} for field {field}."),
            };
            message._fields.Add((field, type, value));
        }

        return message;
    }

    public bool Has(int field) => _fields.Any(f => f.Field == field);

    public IEnumerable<ProtoMessage> Messages(int field) => Raw(field).Select(bytes => Parse((byte[])bytes));

    public ProtoMessage? Message(int field) => Messages(field).FirstOrDefault();

    public byte[]? Bytes(int field) => Raw(field).FirstOrDefault() as byte[];

    public string? String(int field) => Bytes(field) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    public ulong Varint(int field) => (ulong)Raw(field).First();

    public double Double(int field) => BitConverter.UInt64BitsToDouble((ulong)Raw(field).First());

    public long SFixed64(int field) => unchecked((long)(ulong)Raw(field).First());

    private IEnumerable<object> Raw(int field) => _fields.Where(f => f.Field == field).Select(f => f.Value);
}
