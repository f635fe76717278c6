using System.Buffers;
using System.Runtime.CompilerServices;

namespace Trawl.Downloader;

/// <summary>
/// Reads a response body into one exact-size array, stopping as soon as it passes the size limit, and reserving its
/// bytes in the crawl's budget (<see cref="BodyReservations"/>) before reading them.
/// </summary>
/// <remarks>
/// <para>A body of known, modest length is read straight into its final array. A larger body of known length is
/// read into a pooled buffer until its first <see cref="DirectReadLimit"/> bytes have arrived, so a server announcing a
/// large body it never sends costs little; then into its final array. A body of unknown length is read into pooled
/// segments that are never copied while they grow, then copied once into the final array.</para>
/// <para>The limit applies to the bytes as they come out of the stream, which for a compressed response are the
/// decompressed bytes, so a compression bomb stops after <c>limit + 1</c> bytes.</para>
/// </remarks>
internal static class ResponseBodyReader
{
    /// <summary>Bodies with a Content-Length up to this are read straight into their final array.</summary>
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
    /// <param name="reservations">Where the bytes are reserved before they are read; <see langword="null"/> for no budget.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, long? contentLength, int limit, BodyReservations? reservations, CancellationToken cancellationToken)
    {
        if (contentLength is { } length && length <= limit)
        {
            if (length <= DirectReadLimit)
            {
                if (reservations is not null)
                {
                    await reservations.ReserveAsync(length, cancellationToken).ConfigureAwait(false);
                }

                return await ReadKnownLengthAsync(stream, (int)length, cancellationToken).ConfigureAwait(false);
            }

            return await ReadLargeKnownLengthAsync(stream, (int)length, reservations, cancellationToken).ConfigureAwait(false);
        }

        return await ReadSegmentsAsync(stream, contentLength, limit, reservations, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<byte[]?> ReadSegmentsAsync(Stream stream, long? contentLength, int limit, BodyReservations? reservations, CancellationToken cancellationToken)
    {
        var firstSize = Math.Min(contentLength is > DirectReadLimit ? MaxSegmentSize : FirstSegmentSize, limit + 1);
        if (reservations is not null)
        {
            await reservations.ReserveAsync(firstSize, cancellationToken).ConfigureAwait(false);
        }

        byte[]? current = ArrayPool<byte>.Shared.Rent(firstSize);
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
                    var nextSize = (int)Math.Min(Math.Min(MaxSegmentSize, current.Length * 2L), limit + 1L - total);
                    current = null;
                    if (reservations is not null)
                    {
                        await reservations.ReserveAsync(nextSize, cancellationToken).ConfigureAwait(false);
                    }

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

            // Segments round up: what was reserved beyond the body goes back.
            reservations?.Trim(total);
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

    // The first DirectReadLimit bytes go to a pooled buffer; once they have arrived, the server is sending what it
    // announced, and the final array is allocated and the rest read straight into it.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<byte[]> ReadLargeKnownLengthAsync(Stream stream, int length, BodyReservations? reservations, CancellationToken cancellationToken)
    {
        if (reservations is not null)
        {
            await reservations.ReserveAsync(DirectReadLimit, cancellationToken).ConfigureAwait(false);
        }

        var first = ArrayPool<byte>.Shared.Rent(DirectReadLimit);
        try
        {
            await FillAsync(stream, first.AsMemory(0, DirectReadLimit), 0, length, cancellationToken).ConfigureAwait(false);
            if (reservations is not null)
            {
                await reservations.ReserveAsync(length - DirectReadLimit, cancellationToken).ConfigureAwait(false);
            }

            var body = GC.AllocateUninitializedArray<byte>(length);
            first.AsSpan(0, DirectReadLimit).CopyTo(body);
            ArrayPool<byte>.Shared.Return(first);
            first = null;
            await FillAsync(stream, body.AsMemory(DirectReadLimit), DirectReadLimit, length, cancellationToken).ConfigureAwait(false);
            return body;
        }
        finally
        {
            if (first is not null)
            {
                ArrayPool<byte>.Shared.Return(first);
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

        var body = GC.AllocateUninitializedArray<byte>(length);
        await FillAsync(stream, body, 0, length, cancellationToken).ConfigureAwait(false);
        return body;
    }

    // The HTTP stack enforces Content-Length framing (it never yields more, and fails when the connection closes
    // early), so filling the buffer is the whole job.
    private static async ValueTask FillAsync(Stream stream, Memory<byte> buffer, int before, int length, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new HttpIOException(HttpRequestError.ResponseEnded, $"The response ended after {before + filled} of {length} bytes.");
            }

            filled += read;
        }
    }
}
