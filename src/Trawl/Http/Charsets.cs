using System.Collections.Concurrent;
using System.Text;

namespace Trawl.Http;

/// <summary>
/// Decides how to decode a body, as browsers do (WHATWG encoding sniffing, simplified): a byte-order mark, else the
/// Content-Type charset, else a <c>&lt;meta&gt;</c> charset in the first <see cref="PrescanLength"/> bytes, else UTF-8.
/// </summary>
/// <remarks>
/// Labels follow the WHATWG Encoding Standard where it differs from .NET: <c>iso-8859-1</c>, <c>latin1</c> and
/// <c>us-ascii</c> mean windows-1252, <c>gb2312</c> means GBK, and UTF-7 and UTF-32 are not web encodings. Every
/// encoding returned replaces bytes it cannot decode with U+FFFD, so decoding never throws.
/// </remarks>
internal static class Charsets
{
    /// <summary>How many leading bytes are searched for a <c>&lt;meta&gt;</c> charset.</summary>
    public const int PrescanLength = 4096;

    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
    private static readonly Encoding Utf16LittleEndian = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: false);
    private static readonly Encoding Utf16BigEndian = new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: false);
    private static readonly ConcurrentDictionary<int, Encoding> ByCodePage = new();
    private static readonly char[] LabelTrim = [' ', '\t', '\n', '\r', '\f', '"', '\''];

    // WHATWG labels whose meaning differs from .NET's, or that .NET does not know. Everything else goes to
    // Encoding.GetEncoding, which knows the common names and aliases once the code-pages provider is registered.
    private static readonly Dictionary<string, int> WebLabels = new(StringComparer.OrdinalIgnoreCase)
    {
        ["utf8"] = 65001, ["unicode-1-1-utf-8"] = 65001, ["unicode11utf8"] = 65001, ["unicode20utf8"] = 65001, ["x-unicode20utf8"] = 65001,
        ["ascii"] = 1252, ["us-ascii"] = 1252, ["ansi_x3.4-1968"] = 1252, ["cp819"] = 1252, ["csisolatin1"] = 1252,
        ["ibm819"] = 1252, ["iso-8859-1"] = 1252, ["iso-ir-100"] = 1252, ["iso8859-1"] = 1252, ["iso88591"] = 1252,
        ["iso_8859-1"] = 1252, ["iso_8859-1:1987"] = 1252, ["l1"] = 1252, ["latin1"] = 1252, ["cp1252"] = 1252,
        ["x-cp1252"] = 1252, ["windows-1252"] = 1252,
        ["iso-8859-9"] = 1254, ["iso8859-9"] = 1254, ["iso88599"] = 1254, ["latin5"] = 1254, ["l5"] = 1254,
        ["iso-8859-11"] = 874, ["iso8859-11"] = 874, ["tis-620"] = 874, ["dos-874"] = 874,
        ["gb2312"] = 936, ["gbk"] = 936, ["x-gbk"] = 936, ["chinese"] = 936, ["csgb2312"] = 936, ["gb_2312"] = 936, ["gb_2312-80"] = 936,
        ["iso-ir-58"] = 936, ["csiso58gb231280"] = 936,
        ["shift_jis"] = 932, ["shift-jis"] = 932, ["sjis"] = 932, ["ms932"] = 932, ["ms_kanji"] = 932, ["windows-31j"] = 932,
        ["x-sjis"] = 932, ["csshiftjis"] = 932,
        ["euc-kr"] = 949, ["cseuckr"] = 949, ["korean"] = 949, ["ks_c_5601-1987"] = 949, ["windows-949"] = 949,
        ["big5"] = 950, ["big5-hkscs"] = 950, ["cn-big5"] = 950, ["csbig5"] = 950, ["x-x-big5"] = 950,
        ["utf-16"] = 1200, ["utf-16le"] = 1200, ["unicode"] = 1200, ["ucs-2"] = 1200, ["csunicode"] = 1200,
        ["iso-10646-ucs-2"] = 1200, ["unicodefeff"] = 1200, ["utf-16be"] = 1201, ["unicodefffe"] = 1201,
    };

    static Charsets()
    {
        for (var codePage = 1250; codePage <= 1258; codePage++)
        {
            WebLabels.TryAdd($"cp{codePage}", codePage);
            WebLabels.TryAdd($"x-cp{codePage}", codePage);
            WebLabels.TryAdd($"windows-{codePage}", codePage);
        }

        // Registers windows-125x, iso-8859-x, shift_jis, gbk, euc-kr, big5 and the rest with Encoding.GetEncoding.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    /// <summary>Picks the encoding of a body and says how many leading bytes are a byte-order mark to skip.</summary>
    /// <param name="headerCharset">The charset parameter of the Content-Type header, if any.</param>
    /// <param name="body">The body.</param>
    /// <param name="prescanMeta">Whether to look for a <c>&lt;meta&gt;</c> charset (only for HTML).</param>
    /// <param name="bomLength">The length of the byte-order mark, or 0.</param>
    public static Encoding Detect(string? headerCharset, ReadOnlySpan<byte> body, bool prescanMeta, out int bomLength)
    {
        // A BOM wins over the header, as in browsers: it is written by whoever wrote the bytes.
        if (body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF)
        {
            bomLength = 3;
            return Utf8;
        }

        if (body.Length >= 2 && body[0] == 0xFF && body[1] == 0xFE)
        {
            bomLength = 2;
            return Utf16LittleEndian;
        }

        if (body.Length >= 2 && body[0] == 0xFE && body[1] == 0xFF)
        {
            bomLength = 2;
            return Utf16BigEndian;
        }

        bomLength = 0;
        if (headerCharset is not null && FromLabel(headerCharset) is { } declared)
        {
            return declared;
        }

        if (prescanMeta && FromMeta(body[..Math.Min(body.Length, PrescanLength)]) is { } meta)
        {
            return meta;
        }

        return Utf8;
    }

    /// <summary>The encoding a label names, or <see langword="null"/> for an unknown or unsupported label.</summary>
    public static Encoding? FromLabel(string label)
    {
        var trimmed = label.Trim(LabelTrim);
        if (trimmed.Length == 0 || trimmed.Length > 64)
        {
            return null;
        }

        if (WebLabels.TryGetValue(trimmed, out var codePage))
        {
            return ForCodePage(codePage);
        }

        if (trimmed.StartsWith("utf-7", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("utf-32", StringComparison.OrdinalIgnoreCase)
            || trimmed.StartsWith("x-user-defined", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return ForCodePage(Encoding.GetEncoding(trimmed).CodePage);
        }
        catch (ArgumentException)
        {
            return null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static Encoding ForCodePage(int codePage) => codePage switch
    {
        65001 => Utf8,
        1200 => Utf16LittleEndian,
        1201 => Utf16BigEndian,
        _ => ByCodePage.GetOrAdd(codePage, static cp => Encoding.GetEncoding(cp, EncoderFallback.ReplacementFallback, DecoderFallback.ReplacementFallback)),
    };

    // The WHATWG "prescan a byte stream to determine its encoding", on the first bytes of the body.
    private static Encoding? FromMeta(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (bytes[i] != (byte)'<')
            {
                i++;
                continue;
            }

            var rest = bytes[i..];
            if (rest.StartsWith("<!--"u8))
            {
                var end = rest[4..].IndexOf("-->"u8);
                if (end < 0)
                {
                    return null;
                }

                i += 4 + end + 3;
            }
            else if (rest.Length > 6 && Ascii.EqualsIgnoreCase(rest[..5], "<meta"u8) && IsSpaceOrSlash(rest[5]))
            {
                i += 6;
                if (MetaCharset(bytes, ref i) is { } encoding)
                {
                    return encoding;
                }
            }
            else if (rest.Length > 1 && (IsAsciiLetter(rest[1]) || (rest[1] == (byte)'/' && rest.Length > 2 && IsAsciiLetter(rest[2]))))
            {
                // Another tag: skip its name and attributes, so a '>' or "<meta" inside a quoted value is not misread.
                i += rest[1] == (byte)'/' ? 2 : 1;
                while (i < bytes.Length && !IsWhitespace(bytes[i]) && bytes[i] != (byte)'>')
                {
                    i++;
                }

                while (GetAttribute(bytes, ref i, out _, out _))
                {
                }
            }
            else if (rest.Length > 1 && rest[1] is (byte)'!' or (byte)'/' or (byte)'?')
            {
                var end = rest.IndexOf((byte)'>');
                if (end < 0)
                {
                    return null;
                }

                i += end + 1;
            }
            else
            {
                i++;
            }
        }

        return null;
    }

    // Reads the attributes of a <meta> tag; returns its encoding if it declares a supported one.
    private static Encoding? MetaCharset(ReadOnlySpan<byte> bytes, ref int i)
    {
        var gotPragma = false;
        bool? needPragma = null;
        Encoding? charset = null;
        var seenCharset = false;
        var seenContent = false;
        var seenHttpEquiv = false;
        while (GetAttribute(bytes, ref i, out var name, out var value))
        {
            if (!seenHttpEquiv && Ascii.EqualsIgnoreCase(name, "http-equiv"u8))
            {
                seenHttpEquiv = true;
                gotPragma = Ascii.EqualsIgnoreCase(value, "content-type"u8);
            }
            else if (!seenContent && Ascii.EqualsIgnoreCase(name, "content"u8))
            {
                seenContent = true;
                if (charset is null && ExtractFromContent(value) is { } label)
                {
                    charset = FromLabel(Encoding.Latin1.GetString(label));
                    needPragma = true;
                }
            }
            else if (!seenCharset && Ascii.EqualsIgnoreCase(name, "charset"u8))
            {
                seenCharset = true;
                if (charset is null)
                {
                    charset = FromLabel(Encoding.Latin1.GetString(value));
                    needPragma = false;
                }
            }
        }

        if (needPragma is null || (needPragma == true && !gotPragma) || charset is null)
        {
            return null;
        }

        // A document whose <meta> could be read as ASCII is not UTF-16.
        return charset.CodePage is 1200 or 1201 ? Utf8 : charset;
    }

    // WHATWG "get an attribute": false at the end of the tag.
    private static bool GetAttribute(ReadOnlySpan<byte> bytes, ref int i, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = default;
        value = default;
        while (i < bytes.Length && (IsWhitespace(bytes[i]) || bytes[i] == (byte)'/'))
        {
            i++;
        }

        if (i >= bytes.Length || bytes[i] == (byte)'>')
        {
            i++;
            return false;
        }

        var nameStart = i;
        while (i < bytes.Length && bytes[i] != (byte)'=' && bytes[i] != (byte)'>' && bytes[i] != (byte)'/' && !IsWhitespace(bytes[i]))
        {
            i++;
        }

        name = bytes[nameStart..i];
        while (i < bytes.Length && IsWhitespace(bytes[i]))
        {
            i++;
        }

        if (i >= bytes.Length || bytes[i] != (byte)'=')
        {
            return true;
        }

        i++;
        while (i < bytes.Length && IsWhitespace(bytes[i]))
        {
            i++;
        }

        if (i < bytes.Length && bytes[i] is (byte)'"' or (byte)'\'')
        {
            var quote = bytes[i];
            var close = bytes[(i + 1)..].IndexOf(quote);
            if (close < 0)
            {
                value = bytes[(i + 1)..];
                i = bytes.Length;
                return true;
            }

            value = bytes.Slice(i + 1, close);
            i += close + 2;
            return true;
        }

        var valueStart = i;
        while (i < bytes.Length && bytes[i] != (byte)'>' && !IsWhitespace(bytes[i]))
        {
            i++;
        }

        value = bytes[valueStart..i];
        return true;
    }

    // WHATWG "extract a character encoding from a meta element" (the content="text/html; charset=..." form).
    private static ReadOnlySpan<byte> ExtractFromContent(ReadOnlySpan<byte> content)
    {
        var position = 0;
        while (true)
        {
            var found = IndexOfIgnoreCase(content[position..], "charset"u8);
            if (found < 0)
            {
                return default;
            }

            position += found + 7;
            while (position < content.Length && IsWhitespace(content[position]))
            {
                position++;
            }

            if (position < content.Length && content[position] == (byte)'=')
            {
                position++;
                break;
            }
        }

        while (position < content.Length && IsWhitespace(content[position]))
        {
            position++;
        }

        if (position >= content.Length)
        {
            return default;
        }

        if (content[position] is (byte)'"' or (byte)'\'')
        {
            var close = content[(position + 1)..].IndexOf(content[position]);
            return close < 0 ? default : content.Slice(position + 1, close);
        }

        var end = position;
        while (end < content.Length && !IsWhitespace(content[end]) && content[end] != (byte)';')
        {
            end++;
        }

        return content[position..end];
    }

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> lowerNeedle)
    {
        for (var i = 0; i + lowerNeedle.Length <= haystack.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(haystack.Slice(i, lowerNeedle.Length), lowerNeedle))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'\f';

    private static bool IsSpaceOrSlash(byte b) => IsWhitespace(b) || b == (byte)'/';

    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';
}
