using System.Buffers;
using System.Text.Json;

namespace Trawl.Http;

/// <summary>
/// Reads and writes requests as plain JSON, the only form in which a request is stored. Nothing in it names a
/// .NET type, so a tampered job file can at worst yield a bad request, never run code.
/// </summary>
/// <remarks>
/// The shape: <c>{"url":"…","method":"POST","headers":{…},"body":"base64","priority":1,"depth":2,"meta":{…},"dontFilter":true,"callback":"ParseItem","args":{…},"errback":"OnGone"}</c>.
/// Members at their defaults are left out.
/// </remarks>
public static class RequestJson
{
    /// <summary>Serializes a request to UTF-8 JSON.</summary>
    /// <exception cref="InvalidRequestMetaException">A meta value does not serialize to JSON.</exception>
    public static byte[] Serialize(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, request);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a request as a JSON object.</summary>
    /// <exception cref="InvalidRequestMetaException">A meta value does not serialize to JSON.</exception>
    public static void Write(Utf8JsonWriter writer, Request request)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(request);
        writer.WriteStartObject();
        writer.WriteString("url", request.Url.AbsoluteUri);
        if (!string.Equals(request.Method, "GET", StringComparison.OrdinalIgnoreCase))
        {
            writer.WriteString("method", request.Method);
        }

        if (request.HasHeaders)
        {
            writer.WriteStartObject("headers");
            foreach (var (name, value) in request.Headers)
            {
                writer.WriteString(name, value);
            }

            writer.WriteEndObject();
        }

        if (request.Body is { } body)
        {
            writer.WriteBase64String("body", body);
        }

        if (request.Priority != 0)
        {
            writer.WriteNumber("priority", request.Priority);
        }

        if (request.Depth != 0)
        {
            writer.WriteNumber("depth", request.Depth);
        }

        if (request.HasMeta)
        {
            writer.WritePropertyName("meta");
            WriteMeta(writer, request);
        }

        if (request.DontFilter)
        {
            writer.WriteBoolean("dontFilter", true);
        }

        if (request.Callback is not null)
        {
            writer.WriteString("callback", request.Callback);
        }

        if (request.CallbackArgs is { } args)
        {
            writer.WritePropertyName("args");
            args.WriteTo(writer);
        }

        if (request.Errback is not null)
        {
            writer.WriteString("errback", request.Errback);
        }

        writer.WriteEndObject();
    }

    /// <summary>Checks that every meta value serializes, so a bad request fails when it is scheduled rather than at commit.</summary>
    /// <exception cref="InvalidRequestMetaException">A meta value does not serialize to JSON; the message names its key.</exception>
    public static void ValidateMeta(Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.HasMeta)
        {
            return;
        }

        using var writer = new Utf8JsonWriter(Stream.Null);
        WriteMeta(writer, request);
    }

    /// <summary>Reads a request written by <see cref="Serialize"/>.</summary>
    /// <exception cref="JsonException">The JSON is not a valid request.</exception>
    public static Request Deserialize(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        return Read(document.RootElement);
    }

    /// <summary>Reads a request from a JSON element.</summary>
    /// <exception cref="JsonException">The JSON is not a valid request.</exception>
    public static Request Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A stored request must be a JSON object.");
        }

        if (!element.TryGetProperty("url", out var urlElement) || urlElement.ValueKind != JsonValueKind.String
            || !Uri.TryCreate(urlElement.GetString(), UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new JsonException("A stored request has no valid absolute http(s) \"url\".");
        }

        Dictionary<string, string>? headers = null;
        if (element.TryGetProperty("headers", out var headersElement) && headersElement.ValueKind == JsonValueKind.Object)
        {
            headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in headersElement.EnumerateObject())
            {
                headers[header.Name] = header.Value.GetString() ?? string.Empty;
            }
        }

        Dictionary<string, object?>? meta = null;
        if (element.TryGetProperty("meta", out var metaElement) && metaElement.ValueKind == JsonValueKind.Object)
        {
            meta = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var entry in metaElement.EnumerateObject())
            {
                meta[entry.Name] = entry.Value.ValueKind == JsonValueKind.Null ? null : entry.Value.Clone();
            }
        }

        return new Request(url)
        {
            Method = element.TryGetProperty("method", out var method) ? method.GetString() ?? "GET" : "GET",
            Headers = headers!,
            Body = element.TryGetProperty("body", out var body) && body.ValueKind == JsonValueKind.String ? body.GetBytesFromBase64() : null,
            Priority = element.TryGetProperty("priority", out var priority) ? priority.GetInt32() : 0,
            Depth = element.TryGetProperty("depth", out var depth) ? depth.GetInt32() : 0,
            Meta = meta!,
            DontFilter = element.TryGetProperty("dontFilter", out var dontFilter) && dontFilter.ValueKind == JsonValueKind.True,
            Callback = element.TryGetProperty("callback", out var callback) ? callback.GetString() : null,
            CallbackArgs = element.TryGetProperty("args", out var args) && args.ValueKind != JsonValueKind.Null ? args.Clone() : null,
            Errback = element.TryGetProperty("errback", out var errback) ? errback.GetString() : null,
        };
    }

    private static void WriteMeta(Utf8JsonWriter writer, Request request)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in request.Meta)
        {
            writer.WritePropertyName(key);
            try
            {
                JsonSerializer.Serialize(writer, value);
            }
            catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
            {
                throw new InvalidRequestMetaException(request, key, ex);
            }
        }

        writer.WriteEndObject();
    }
}

/// <summary>A request's meta holds a value that does not serialize to JSON, so the request cannot be stored.</summary>
public sealed class InvalidRequestMetaException : Exception
{
    internal InvalidRequestMetaException(Request request, string key, Exception inner)
        : base($"Request {request.Url} has meta key '{key}' whose value ({inner.GetType().Name}) cannot be serialized to JSON: {inner.Message} Meta values must be JSON-serializable so the request can be stored and resumed.", inner)
    {
        Key = key;
    }

    /// <summary>The meta key whose value does not serialize.</summary>
    public string Key { get; }
}
