using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Trawl.Http;

namespace Trawl.Redis;

/// <summary>
/// The sizing and bit positions of the Bloom filter kept in the <c>bloom</c> bitmap.
/// </summary>
/// <remarks>
/// <para>For <c>n</c> expected items and a target false-positive rate <c>p</c>: <c>m = ⌈−n·ln p / (ln 2)²⌉</c> bits
/// and <c>k = round(m/n · ln 2)</c> hash functions, which gives a rate of about <c>p</c> once <c>n</c> items are in.
/// That is 9.6 bits (1.14 MiB per million items) at 1%, and 14.4 bits (1.71 MiB per million) at 0.1%.</para>
/// <para>The <c>k</c> positions come from the 20-byte SHA-1 fingerprint by double hashing (Kirsch and Mitzenmacher):
/// <c>h1</c> = bytes 0-7 and <c>h2</c> = bytes 8-15 (made odd) as big-endian 64-bit numbers, and position
/// <c>i = (h1 + i·h2) mod m</c> in 64-bit arithmetic. SHA-1's bytes are independent and uniform, so no further hashing
/// is needed.</para>
/// <para>Redis strings hold at most 512 MiB, so <c>m</c> is at most 2³² bits: about 448 million items at 1%, or
/// 298 million at 0.1%.</para>
/// </remarks>
internal sealed class RedisBloomFilter
{
    /// <summary>The largest bitmap Redis can hold: 512 MiB.</summary>
    public const long MaxBits = 1L << 32;

    /// <summary>The most hash functions a filter may use.</summary>
    public const int MaxHashes = 30;

    public RedisBloomFilter(long bits, int hashes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 64);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bits, MaxBits);
        ArgumentOutOfRangeException.ThrowIfLessThan(hashes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(hashes, MaxHashes);
        Bits = bits;
        Hashes = hashes;
    }

    /// <summary>The bitmap's size, m.</summary>
    public long Bits { get; }

    /// <summary>The number of hash functions, k.</summary>
    public int Hashes { get; }

    /// <summary>The bitmap's memory in bytes.</summary>
    public long Bytes => (Bits + 7) / 8;

    public static long BitsFor(long expectedItems, double falsePositiveRate) =>
        (long)Math.Ceiling(-expectedItems * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2)));

    public static int HashesFor(long bits, long expectedItems) =>
        Math.Clamp((int)Math.Round((double)bits / expectedItems * Math.Log(2)), 1, MaxHashes);

    public static RedisBloomFilter For(long expectedItems, double falsePositiveRate)
    {
        var bits = Math.Max(64, BitsFor(expectedItems, falsePositiveRate));
        return new RedisBloomFilter(bits, HashesFor(bits, expectedItems));
    }

    /// <summary>The expected false-positive rate once <paramref name="items"/> items are in: (1 − e^(−k·n/m))^k.</summary>
    public double FalsePositiveRateAt(long items) => Math.Pow(1 - Math.Exp(-(double)Hashes * items / Bits), Hashes);

    /// <summary>Writes the k bit positions of a fingerprint.</summary>
    public void Positions(RequestFingerprint fingerprint, Span<long> positions)
    {
        Span<byte> bytes = stackalloc byte[RequestFingerprint.Size];
        fingerprint.WriteBytes(bytes);
        var h1 = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        var h2 = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]) | 1;
        var m = (ulong)Bits;
        for (var i = 0; i < Hashes; i++)
        {
            positions[i] = (long)(unchecked(h1 + ((ulong)i * h2)) % m);
        }
    }

    /// <summary>The dedup key the scripts take: <c>b</c> then the positions, space-separated.</summary>
    public byte[] DedupKey(RequestFingerprint fingerprint)
    {
        Span<long> positions = stackalloc long[Hashes];
        Positions(fingerprint, positions);
        var builder = new StringBuilder(1 + (Hashes * 11));
        builder.Append('b');
        foreach (var position in positions)
        {
            builder.Append(' ').Append(position.ToString(CultureInfo.InvariantCulture));
        }

        return Encoding.ASCII.GetBytes(builder.ToString());
    }
}
