using System.Buffers;
using System.Runtime.CompilerServices;

namespace Trawl.Downloader;

/// <summary>
/// Reads a response body into one exact-size array, stopping as soon as it passes the size limit.
/// </summary>
/// <remarks>
/// A body of known, modest length is read straight into its final array. Any other body is read into pooled
/// segments that are never copied while they grow, then copied once into the final array. The limit applies to
/// the bytes as they come out of the stream, which for a compressed response are the decompressed bytes, so a
/// compression bomb stops after <c>limit + 1</c> bytes.
/// </remarks>
internal static class ResponseBodyReader
{
    /// <summary>Bodies with a Content-Length up to this are read straight into their final array.</summary>
    /// <remarks>Larger ones go through segments, so a server announcing a large body it never sends costs little.</remarks>
    internal const int DirectReadLimit = 1024 * 1024;

    private const int FirstSegmentSize = 32 * 1024;
    private const int MaxSegmentSize = 1024 * 1024;

    /// <summary>
    /// Reads <paramref name="stream"/> to its end. Returns <see langword="null"/> when it holds more than
    /// <paramref name="limit"/> bytes; reading stops at the first byte over.
    /// </summary>
    /// <param name="stream">The body stream.</param>
    /// <param name="contentLength">The announced length, when the body is not content-decoded; a hint only.</param>
    /// <param name="limit">The most bytes accepted; at most <see cref="Array.MaxLength"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, long? contentLength, int limit, CancellationToken cancellationToken)
    {
        if (contentLength is { } length and <= DirectReadLimit && length <= limit)
        {
            return await ReadKnownLengthAsync(stream, (int)length, cancellationToken).ConfigureAwait(false);
        }

        var firstSize = contentLength is > DirectReadLimit ? MaxSegmentSize : FirstSegmentSize;
        byte[]? current = ArrayPool<byte>.Shared.Rent(Math.Min(firstSize, limit + 1));
        List<byte[]>? filled = null;
        try
        {
            var used = 0;
            long total = 0;
            while (true)
            {
                if (used == current.Length)
                {
                    // Keep the full segment and start another, twice as large up to a cap: growing never copies.
                    (filled ??= new List<byte[]>(8)).Add(current);
                    var nextSize = Math.Min(MaxSegmentSize, current.Length * 2);
                    current = null;
                    current = ArrayPool<byte>.Shared.Rent(nextSize);
                    used = 0;
                }

                // Never ask for more than one byte past the limit: that one byte is enough to know the body is too large.
                var room = (int)Math.Min(current.Length - used, limit + 1L - total);
                var read = await stream.ReadAsync(current.AsMemory(used, room), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                used += read;
                total += read;
                if (total > limit)
                {
                    return null;
                }
            }

            if (total == 0)
            {
                return [];
            }

            var body = GC.AllocateUninitializedArray<byte>((int)total);
            var offset = 0;
            if (filled is not null)
            {
                foreach (var segment in filled)
                {
                    segment.CopyTo(body, offset);
                    offset += segment.Length;
                }
            }

            current.AsSpan(0, used).CopyTo(body.AsSpan(offset));
            return body;
        }
        finally
        {
            if (current is not null)
            {
                ArrayPool<byte>.Shared.Return(current);
            }

            if (filled is not null)
            {
                foreach (var segment in filled)
                {
                    ArrayPool<byte>.Shared.Return(segment);
                }
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<byte[]> ReadKnownLengthAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return [];
        }

        // The HTTP stack enforces Content-Length framing (it never yields more, and fails when the connection closes
        // early), so filling the array is the whole job.
        var body = GC.AllocateUninitializedArray<byte>(length);
        var filled = 0;
        while (filled < length)
        {
            var read = await stream.ReadAsync(body.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new HttpIOException(HttpRequestError.ResponseEnded, $"The response ended after {filled} of {length} bytes.");
            }

            filled += read;
        }

        return body;
    }
}
