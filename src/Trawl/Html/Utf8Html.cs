using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Trawl.Html;

/// <summary>
/// A page's HTML as UTF-8 bytes, the one form the fast paths read (<see cref="HtmlTokenizer"/>): a UTF-8 body as it
/// is, or HTML held as a string (a page in another encoding once decoded, a test's markup) transcoded into a buffer
/// that <see cref="Dispose"/> hands back.
/// </summary>
internal struct Utf8Html : IDisposable
{
    // Buffers up to this size come from the shared pool; a bigger one is left to the collector rather than kept.
    private const int MaxPooledBytes = 1024 * 1024;

    // A string holding a lone surrogate has no exact UTF-8 form. A NUL is markup the tokenizer refuses, so every fast
    // path hands such a page to the parser.
    private static readonly byte[] Unreadable = [0];

    private ReadOnlyMemory<byte> _bytes;
    private byte[]? _rented;

    /// <summary>The HTML's UTF-8 bytes, without a byte-order mark.</summary>
    public readonly ReadOnlySpan<byte> Span => _bytes.Span;

    /// <summary>Reads UTF-8 bytes as they are (the caller has skipped any byte-order mark).</summary>
    public static Utf8Html Borrow(ReadOnlyMemory<byte> utf8) => new() { _bytes = utf8 };

    /// <summary>Transcodes HTML held as a string to UTF-8.</summary>
    public static Utf8Html Transcode(ReadOnlySpan<char> html)
    {
        var length = Encoding.UTF8.GetByteCount(html);
        var buffer = length <= MaxPooledBytes ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
        var rented = length <= MaxPooledBytes ? buffer : null;
        if (Utf8.FromUtf16(html, buffer, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            return new Utf8Html { _bytes = Unreadable };
        }

        return new Utf8Html { _bytes = buffer.AsMemory(0, written), _rented = rented };
    }

    /// <summary>Hands a transcoding's buffer back; the bytes must not be read after.</summary>
    public void Dispose()
    {
        _bytes = default;
        if (_rented is { } rented)
        {
            _rented = null;
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
