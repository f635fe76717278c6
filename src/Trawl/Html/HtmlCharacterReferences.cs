using System.Globalization;
using System.Text;
using AngleSharp.Common;
using AngleSharp.Html;

namespace Trawl.Html;

/// <summary>
/// Decodes character references (<c>&amp;amp;</c>, <c>&amp;#8217;</c>, <c>&amp;nbsp;</c> …) in text and attribute
/// values exactly as the parser every response uses does, or says it cannot.
/// </summary>
/// <remarks>
/// <para>Named references come from the parser's own table (AngleSharp's <see cref="HtmlEntityProvider"/>) and numeric
/// ones go through its replacement rules, so a reference decoded here is decoded to the same characters. What is
/// decoded: a named reference ending with a semicolon, a numeric one (decimal or hex) ending with a semicolon, and an
/// ampersand that starts no reference (before whitespace, <c>&lt;</c>, another ampersand, the end, or in an attribute
/// value the closing quote or letters and digits followed by <c>=</c>, as in query strings). What is not: references
/// without their semicolon that the standard's legacy rules would still decode (<c>&amp;copy2024</c>), unknown names
/// ending with a semicolon, and anything odder; the caller then parses the page.</para>
/// <para>Carriage returns become line feeds (CR LF as one), as the standard's input stream does before tokenizing;
/// a reference to one (<c>&amp;#13;</c>) is decoded as the parser decodes it.</para>
/// </remarks>
internal static class HtmlCharacterReferences
{
    // The longest name the parser looks up.
    private const int MaxNameLength = 31;

    [ThreadStatic]
    private static char[]? t_name;

    /// <summary>
    /// Appends <paramref name="raw"/> decoded. Returns false, having appended part of it, when it holds a reference
    /// this does not decode. In an attribute value, <paramref name="quote"/> is the character that ends the value
    /// (<c>"</c>, <c>'</c>, or <c>&gt;</c> for an unquoted one).
    /// </summary>
    public static bool TryAppendDecoded(ReadOnlySpan<char> raw, StringBuilder into, bool inAttribute, char quote)
    {
        while (true)
        {
            var next = raw.IndexOfAny('&', '\r');
            if (next < 0)
            {
                into.Append(raw);
                return true;
            }

            into.Append(raw[..next]);
            raw = raw[next..];
            if (raw[0] == '\r')
            {
                into.Append('\n');
                raw = raw.Length > 1 && raw[1] == '\n' ? raw[2..] : raw[1..];
                continue;
            }

            var consumed = TryAppendReference(raw, into, inAttribute, quote);
            if (consumed == 0)
            {
                return false;
            }

            raw = raw[consumed..];
        }
    }

    /// <summary>
    /// Decodes the character reference at the start of <paramref name="raw"/> (which starts with an ampersand): the
    /// first character it stands for, and how many characters of <paramref name="raw"/> it takes. Returns false when
    /// this does not decode it.
    /// </summary>
    public static bool TryDecodeFirst(ReadOnlySpan<char> raw, out char first, out int length)
    {
        var decoded = new StringBuilder(2);
        length = TryAppendReference(raw, decoded, inAttribute: false, quote: '\0');
        first = length > 0 ? decoded[0] : '\0';
        return length > 0;
    }

    /// <summary>
    /// <see cref="TryDecodeFirst(ReadOnlySpan{char}, out char, out int)"/> on UTF-8: <paramref name="length"/> counts
    /// bytes, which are the characters of the reference (all ASCII).
    /// </summary>
    public static bool TryDecodeFirst(ReadOnlySpan<byte> utf8, out char first, out int length)
    {
        // No reference this decodes, with the character after it, is longer than this; a longer run of its characters
        // is refused whether or not it is cut here.
        const int Longest = 64;
        Span<char> chars = stackalloc char[Longest];
        var count = Encoding.UTF8.GetChars(utf8[..Math.Min(utf8.Length, Longest)], chars);
        return TryDecodeFirst(chars[..count], out first, out length);
    }

    /// <summary>Appends text with CR LF and lone CRs turned into LF.</summary>
    public static void AppendNormalizingNewlines(ReadOnlySpan<char> raw, StringBuilder into)
    {
        while (true)
        {
            var cr = raw.IndexOf('\r');
            if (cr < 0)
            {
                into.Append(raw);
                return;
            }

            into.Append(raw[..cr]).Append('\n');
            raw = raw.Length > cr + 1 && raw[cr + 1] == '\n' ? raw[(cr + 2)..] : raw[(cr + 1)..];
        }
    }

    // At an '&': appends what it stands for and returns how many characters that took, or 0 when it cannot tell.
    private static int TryAppendReference(ReadOnlySpan<char> text, StringBuilder into, bool inAttribute, char quote)
    {
        if (text.Length == 1)
        {
            into.Append('&');
            return 1;
        }

        var c = text[1];
        if (HtmlTokenizer.IsSpace(c) || c is '<' or '&' || (inAttribute && c == quote))
        {
            into.Append('&');
            return 1;
        }

        if (c == '#')
        {
            return TryAppendNumeric(text, into);
        }

        if (!char.IsAsciiLetterOrDigit(c))
        {
            return 0;
        }

        var length = 1;
        while (1 + length < text.Length && char.IsAsciiLetterOrDigit(text[1 + length]))
        {
            length++;
        }

        if (length > MaxNameLength)
        {
            return 0;
        }

        var name = text.Slice(1, length);
        var after = 1 + length < text.Length ? text[1 + length] : '\0';
        if (after == ';')
        {
            var symbol = Lookup(text.Slice(1, length + 1));
            if (symbol is null)
            {
                return 0;
            }

            into.Append(symbol);
            return length + 2;
        }

        if (inAttribute && after == '=')
        {
            // "&name=": never a reference in an attribute value, whatever legacy name it starts with.
            into.Append('&');
            return 1;
        }

        for (var prefix = 1; prefix <= length; prefix++)
        {
            if (Lookup(name[..prefix]) is not null)
            {
                // A legacy reference without its semicolon: the standard's rules for these are not modelled.
                return 0;
            }
        }

        into.Append('&');
        return 1;
    }

    private static int TryAppendNumeric(ReadOnlySpan<char> text, StringBuilder into)
    {
        var at = 2;
        var hex = at < text.Length && text[at] is 'x' or 'X';
        if (hex)
        {
            at++;
        }

        var digitsStart = at;
        while (at < text.Length && (hex ? char.IsAsciiHexDigit(text[at]) : char.IsAsciiDigit(text[at])))
        {
            at++;
        }

        var digits = text[digitsStart..at];
        if (digits.IsEmpty || digits.Length > (hex ? 6 : 7) || at >= text.Length || text[at] != ';')
        {
            return 0;
        }

        var code = int.Parse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture);
        if (HtmlEntityProvider.IsInCharacterTable(code))
        {
            into.Append(HtmlEntityProvider.GetSymbolFromTable(code));
        }
        else if (HtmlEntityProvider.IsInvalidNumber(code))
        {
            into.Append('\uFFFD');
        }
        else if (code is >= 0xD800 and <= 0xDFFF or > 0x10FFFF)
        {
            return 0;
        }
        else
        {
            into.Append(char.ConvertFromUtf32(code));
        }

        return at + 1;
    }

    // The parser's table: "name;" for every reference, and "name" for the legacy ones that work without a semicolon.
    private static string? Lookup(ReadOnlySpan<char> name)
    {
        var buffer = t_name ??= new char[MaxNameLength + 1];
        name.CopyTo(buffer);
        return HtmlEntityProvider.ResolverExtended.GetSymbol(new StringOrMemory(buffer.AsMemory(0, name.Length)));
    }
}
