using System.Buffers;
using System.Text;
using Microsoft.Extensions.ObjectPool;

namespace Trawl.Sandbox.Site;

/// <summary>Building HTML: escaping, pooled builders, and turning a builder into pooled UTF-8 bytes.</summary>
internal static class Html
{
    private static readonly ObjectPool<StringBuilder> Builders =
        new DefaultObjectPoolProvider().CreateStringBuilderPool(initialCapacity: 8 * 1024, maximumRetainedCapacity: 256 * 1024);

    public static StringBuilder RentBuilder() => Builders.Get();

    public static void Return(StringBuilder builder) => Builders.Return(builder);

    /// <summary>
    /// Appends text escaped for HTML content and attribute values. A few non-ASCII characters are written as
    /// entities on purpose (named, decimal) while others stay raw UTF-8, so extractors must decode both.
    /// </summary>
    public static StringBuilder AppendText(this StringBuilder builder, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' => builder.Append("&quot;"),
                '\'' => builder.Append("&#39;"),
                'é' => builder.Append("&eacute;"),
                '—' => builder.Append("&mdash;"),
                '’' => builder.Append("&#8217;"),
                _ => builder.Append(c),
            };
        }

        return builder;
    }

    /// <summary>Appends text escaped for HTML content and attribute values, leaving every other character as it is.</summary>
    public static StringBuilder AppendEscaped(this StringBuilder builder, string text)
    {
        foreach (var c in text)
        {
            _ = c switch
            {
                '&' => builder.Append("&amp;"),
                '<' => builder.Append("&lt;"),
                '>' => builder.Append("&gt;"),
                '"' => builder.Append("&quot;"),
                '\'' => builder.Append("&#39;"),
                _ => builder.Append(c),
            };
        }

        return builder;
    }

    /// <summary>Encodes the builder's text as UTF-8 into a pooled buffer and returns the builder to its pool.</summary>
    public static PooledBytes ToUtf8AndReturn(StringBuilder builder)
    {
        try
        {
            return Encode(builder, Encoding.UTF8);
        }
        finally
        {
            Return(builder);
        }
    }

    /// <summary>Encodes the builder's text into a pooled buffer.</summary>
    public static PooledBytes Encode(StringBuilder builder, Encoding encoding)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, encoding.GetMaxByteCount(builder.Length)));
        var encoder = encoding.GetEncoder();
        var written = 0;
        foreach (var chunk in builder.GetChunks())
        {
            written += encoder.GetBytes(chunk.Span, buffer.AsSpan(written), flush: false);
        }

        written += encoder.GetBytes([], buffer.AsSpan(written), flush: true);
        return new PooledBytes(buffer, written);
    }
}

/// <summary>Bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>; dispose once to return it.</summary>
internal sealed class PooledBytes(byte[] buffer, int length) : IDisposable
{
    private byte[]? _buffer = buffer;

    public int Length { get; } = length;

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(PooledBytes))).AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => Memory.Span;

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
