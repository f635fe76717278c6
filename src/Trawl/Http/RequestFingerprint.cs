using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Trawl.Http;

/// <summary>
/// The identity of a request for deduplication: SHA-1 over the upper-cased method, the canonical URL
/// (<see cref="UrlCanonicalizer"/>) and the body. Two requests with equal fingerprints fetch the same resource.
/// </summary>
public readonly struct RequestFingerprint : IEquatable<RequestFingerprint>
{
    /// <summary>The number of bytes in a fingerprint.</summary>
    public const int Size = 20;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    private RequestFingerprint(ReadOnlySpan<byte> hash)
    {
        _a = BinaryPrimitives.ReadUInt64BigEndian(hash);
        _b = BinaryPrimitives.ReadUInt64BigEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt32BigEndian(hash[16..]);
    }

    /// <summary>Computes the fingerprint of a request.</summary>
    public static RequestFingerprint Compute(string method, Uri url, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(url);
        var canonical = UrlCanonicalizer.Canonicalize(url);

        // SHA-1 over method '\n' url '\n' body, in one shot over a pooled buffer: no hash object per request.
        var length = Encoding.UTF8.GetMaxByteCount(method.Length + canonical.Length) + 2 + body.Length;
        var rented = length <= 1024 ? null : ArrayPool<byte>.Shared.Rent(length);
        Span<byte> buffer = rented ?? stackalloc byte[length];
        var written = 0;
        foreach (var c in method)
        {
            buffer[written++] = (byte)(c is >= 'a' and <= 'z' ? c - 32 : c < 128 ? c : '?');
        }

        buffer[written++] = (byte)'\n';
        written += Encoding.UTF8.GetBytes(canonical, buffer[written..]);
        buffer[written++] = (byte)'\n';
        body.CopyTo(buffer[written..]);
        written += body.Length;
        Span<byte> digest = stackalloc byte[Size];
        SHA1.HashData(buffer[..written], digest);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return new RequestFingerprint(digest);
    }

    /// <summary>Reads a fingerprint from its 20 bytes.</summary>
    public static RequestFingerprint FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A fingerprint has {Size} bytes, not {bytes.Length}.", nameof(bytes));
        }

        return new RequestFingerprint(bytes);
    }

    /// <summary>Parses the 40-character hexadecimal form written by <see cref="ToString"/>.</summary>
    public static RequestFingerprint Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return FromBytes(Convert.FromHexString(hex));
    }

    /// <summary>Writes the 20 bytes of this fingerprint.</summary>
    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _c);
    }

    /// <summary>Returns the 20 bytes of this fingerprint.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteBytes(bytes);
        return bytes;
    }

    /// <summary>Returns the fingerprint as 40 lower-case hexadecimal characters.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc />
    public bool Equals(RequestFingerprint other) => _a == other._a && _b == other._b && _c == other._c;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RequestFingerprint other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    /// <summary>Compares two fingerprints for equality.</summary>
    public static bool operator ==(RequestFingerprint left, RequestFingerprint right) => left.Equals(right);

    /// <summary>Compares two fingerprints for inequality.</summary>
    public static bool operator !=(RequestFingerprint left, RequestFingerprint right) => !left.Equals(right);
}
