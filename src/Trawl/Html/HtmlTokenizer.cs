using System.Text;

namespace Trawl.Html;

/// <summary>What <see cref="HtmlTokenizer.Next"/> read.</summary>
internal enum HtmlTokenKind : byte
{
    /// <summary>The end of the document.</summary>
    EndOfFile,

    /// <summary>A start tag: its name and attributes are readable until the next token.</summary>
    StartTag,

    /// <summary>An end tag (its attributes, which the standard ignores, are skipped).</summary>
    EndTag,

    /// <summary>A run of characters, undecoded: see <see cref="HtmlTokenizer.TryAppendText"/>.</summary>
    Text,

    /// <summary>A comment, including the bogus comments that <c>&lt;?</c>, <c>&lt;!x</c> and <c>&lt;/3</c> open.</summary>
    Comment,

    /// <summary>A doctype.</summary>
    Doctype,

    /// <summary>Markup this tokenizer does not model (a NUL anywhere, a script holding <c>&lt;!--</c>); stop and parse the page.</summary>
    Unsupported,
}

/// <summary>How the characters of a text token are read.</summary>
internal enum HtmlTextKind : byte
{
    /// <summary>Ordinary content: character references are decoded.</summary>
    Data,

    /// <summary>The contents of <c>title</c> and <c>textarea</c>: character references are decoded, tags are text.</summary>
    EscapableRawText,

    /// <summary>The contents of <c>script</c>, <c>style</c>, <c>xmp</c>, <c>iframe</c>, <c>noembed</c> and <c>noframes</c>: taken as they are.</summary>
    RawText,
}

/// <summary>
/// Splits HTML into tokens as the HTML standard's tokenizer does, without allocating for what nobody reads: tags with
/// their attributes (quoted, unquoted, valueless, duplicated: the first wins), text, comments, doctypes and bogus
/// comments, and the raw text of <c>script</c>, <c>style</c>, <c>xmp</c>, <c>iframe</c>, <c>noembed</c>,
/// <c>noframes</c>, <c>title</c> and <c>textarea</c>. The one home of HTML tokenizing for the fast paths that avoid
/// building a document (<see cref="HtmlTreeReader"/>, the link scanner).
/// </summary>
/// <remarks>
/// <para>It reads the page's UTF-8 bytes (<see cref="Utf8Html"/>), so a page is never decoded whole. Every character
/// the tokenizer's syntax and whitespace use is ASCII, and in UTF-8 an ASCII byte only ever stands for itself, so the
/// tokens are those of the decoded text; positions are byte offsets. Names are compared ignoring ASCII case on their
/// bytes. Text, attribute values and names are decoded only when asked for, from their own bytes: their bounds are
/// ASCII bytes, so an invalid sequence in them decodes to the same U+FFFD as in the whole page.</para>
/// <para>Character references are decoded only where this tokenizer can decode them exactly as the standard does
/// (<see cref="HtmlCharacterReferences"/>); a reader that needs one it cannot decode must give up. Carriage returns are
/// read as the standard's input stream does: CR LF and a lone CR become LF.</para>
/// <para>Where the tokenizer would need the tree builder's help, it follows the tree builder of an HTML document
/// without scripting: the raw text elements above switch it to raw text whatever their context (their context never
/// differs in the markup the readers model), <c>noscript</c> does not, and <c>&lt;![CDATA[</c> is a bogus comment.
/// A script holding <c>&lt;!--</c> has escape states this does not model: <see cref="HtmlTokenKind.Unsupported"/>.</para>
/// </remarks>
internal ref struct HtmlTokenizer
{
    // Text is decoded in parts of about this many bytes, so a huge text node needs no buffer of its size.
    private const int TextChunkBytes = 16 * 1024;

    // The decoding buffer a thread keeps; a bigger one (for a huge attribute value) is left to the collector.
    private const int MaxKeptChars = 64 * 1024;

    private static readonly string[] RawTextNames = ["script", "style", "xmp", "iframe", "noembed", "noframes", "title", "textarea"];

    // Each thread keeps one attribute buffer for the tokenizers it runs, so tokenizing a page allocates nothing for it.
    [ThreadStatic]
    private static AttributeRange[]? t_attributes;

    // Each thread keeps one buffer that text and attribute values are decoded into.
    [ThreadStatic]
    private static char[]? t_chars;

    private readonly ReadOnlySpan<byte> _html;
    private readonly bool _hasCarriageReturns;
    private AttributeRange[] _attributes;
    private int _attributeCount;
    private int _at;
    private string? _rawTextName;
    private string? _decodedValue;
    private int _decodedIndex;

    /// <summary>Starts tokenizing a whole document, given as UTF-8 without a byte-order mark.</summary>
    public HtmlTokenizer(ReadOnlySpan<byte> utf8)
    {
        _html = utf8;
        _hasCarriageReturns = _html.Contains((byte)'\r');
        _attributes = t_attributes ?? new AttributeRange[16];
        t_attributes = null;
        _attributeCount = 0;
        _at = _html.Contains((byte)0) ? -1 : 0;
        _rawTextName = null;
        _decodedValue = null;
        _decodedIndex = -1;
        Kind = HtmlTokenKind.EndOfFile;
        Start = End = 0;
        TextKind = HtmlTextKind.Data;
    }

    /// <summary>The kind of the current token.</summary>
    public HtmlTokenKind Kind { get; private set; }

    /// <summary>Where the current token's name (tags) or characters (text, comments) start in the document, in bytes.</summary>
    public int Start { get; private set; }

    /// <summary>Where the current token's name (tags) or characters (text, comments) end in the document, in bytes.</summary>
    public int End { get; private set; }

    /// <summary>How the current text token's characters are read.</summary>
    public HtmlTextKind TextKind { get; private set; }

    /// <summary>The current tag's name as written, in UTF-8 (the standard lower-cases ASCII letters).</summary>
    public readonly ReadOnlySpan<byte> Name => _html[Start..End];

    /// <summary>The current text token's bytes, undecoded.</summary>
    public readonly ReadOnlySpan<byte> RawText => _html[Start..End];

    /// <summary>The number of attributes of the current start tag, duplicates dropped.</summary>
    public readonly int AttributeCount => _attributeCount;

    /// <summary>The document being tokenized, in UTF-8.</summary>
    public readonly ReadOnlySpan<byte> Source => _html;

    /// <summary>An attribute's name as written, in UTF-8 (the standard lower-cases ASCII letters).</summary>
    public readonly ReadOnlySpan<byte> AttributeName(int index) => _html[_attributes[index].NameStart.._attributes[index].NameEnd];

    /// <summary>Hands the tokenizer's buffer back to its thread; the tokenizer must not be used after.</summary>
    public void Dispose()
    {
        if (_attributes.Length <= 256)
        {
            t_attributes = _attributes;
        }

        _attributes = [];
        _attributeCount = 0;
    }

    /// <summary>Reads the next token.</summary>
    public HtmlTokenKind Next()
    {
        _attributeCount = 0;
        _decodedValue = null;
        _decodedIndex = -1;
        if (_at < 0)
        {
            return Kind = HtmlTokenKind.Unsupported;
        }

        if (_rawTextName is { } rawTextName)
        {
            _rawTextName = null;
            if (ReadRawText(rawTextName))
            {
                return Kind;
            }
        }

        while (_at < _html.Length)
        {
            var markup = FindMarkup(_at);
            if (markup > _at)
            {
                Start = _at;
                End = markup;
                TextKind = HtmlTextKind.Data;
                _at = markup;
                return Kind = HtmlTokenKind.Text;
            }

            // At a '<' that starts markup.
            _at++;
            var c = _html[_at];
            if (IsAsciiLetter(c))
            {
                if (StartTag())
                {
                    return Kind = HtmlTokenKind.StartTag;
                }
            }
            else if (c == '/')
            {
                if (EndTagOrBogus() is { } kind)
                {
                    return Kind = kind;
                }
            }
            else if (c == '!')
            {
                return Kind = MarkupDeclaration();
            }
            else
            {
                // '?': a bogus comment up to the first '>'.
                BogusComment();
                return Kind = HtmlTokenKind.Comment;
            }
        }

        return Kind = HtmlTokenKind.EndOfFile;
    }

    /// <summary>The index of the current start tag's attribute with this (lower-case) name, or -1.</summary>
    public readonly int FindAttribute(ReadOnlySpan<char> lowerCaseName)
    {
        for (var i = 0; i < _attributeCount; i++)
        {
            if (NameEquals(AttributeName(i), lowerCaseName))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// An attribute's value, decoded; valid until the next call on this tokenizer. Returns false when it holds a
    /// character reference this tokenizer does not decode.
    /// </summary>
    public bool TryGetAttributeValue(int index, out ReadOnlySpan<char> value)
    {
        ref readonly var attribute = ref _attributes[index];
        var raw = _html[attribute.ValueStart..attribute.ValueEnd];
        if (raw.IndexOfAny((byte)'&', (byte)'\r') < 0)
        {
            value = Decode(raw);
            return true;
        }

        if (_decodedIndex != index)
        {
            var chars = Decode(raw);
            var decoded = new StringBuilder(chars.Length);
            if (!HtmlCharacterReferences.TryAppendDecoded(chars, decoded, inAttribute: true, attribute.Quote))
            {
                value = default;
                return false;
            }

            _decodedValue = decoded.ToString();
            _decodedIndex = index;
        }

        value = _decodedValue.AsSpan();
        return true;
    }

    /// <summary>
    /// An attribute's value as a string, decoded; returns false when it holds a character reference this tokenizer
    /// does not decode.
    /// </summary>
    public bool TryGetAttributeValue(int index, out string value)
    {
        ref readonly var attribute = ref _attributes[index];
        var raw = _html[attribute.ValueStart..attribute.ValueEnd];
        if (raw.IndexOfAny((byte)'&', (byte)'\r') < 0)
        {
            value = Encoding.UTF8.GetString(raw);
            return true;
        }

        if (!TryGetAttributeValue(index, out ReadOnlySpan<char> _))
        {
            value = string.Empty;
            return false;
        }

        value = _decodedValue!;
        return true;
    }

    /// <summary>
    /// Appends characters of the current text token, from byte <paramref name="start"/> to byte <paramref name="end"/>
    /// of the document, decoded as the token's <see cref="TextKind"/> says. Returns false when they hold a character
    /// reference this tokenizer does not decode, or raw text holds a <c>&lt;/</c> and a name with ASCII capitals
    /// (the parser lower-cases them).
    /// </summary>
    public readonly bool TryAppendText(int start, int end, StringBuilder text)
    {
        var raw = _html[start..end];
        if (TextKind != HtmlTextKind.Data && HasUpperCaseEndTagName(raw))
        {
            return false;
        }

        var references = TextKind != HtmlTextKind.RawText && raw.Contains((byte)'&');
        var newlines = _hasCarriageReturns && raw.Contains((byte)'\r');
        while (!raw.IsEmpty)
        {
            var length = TextChunkLength(raw, references);
            var chars = Decode(raw[..length]);
            raw = raw[length..];
            if (references)
            {
                if (!HtmlCharacterReferences.TryAppendDecoded(chars, text, inAttribute: false, quote: '\0'))
                {
                    return false;
                }
            }
            else if (newlines)
            {
                HtmlCharacterReferences.AppendNormalizingNewlines(chars, text);
            }
            else
            {
                text.Append(chars);
            }
        }

        return true;
    }

    /// <summary>Whether a tag or attribute name as written (UTF-8) is this ASCII name in lower case.</summary>
    public static bool NameEquals(ReadOnlySpan<byte> asWritten, ReadOnlySpan<char> lowerCase)
    {
        if (asWritten.Length != lowerCase.Length)
        {
            return false;
        }

        for (var i = 0; i < asWritten.Length; i++)
        {
            var b = asWritten[i];
            if (b != lowerCase[i] && !(IsAsciiLetter(b) && (b | 0x20) == lowerCase[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether two tag or attribute names as written (UTF-8) are the same name: the standard lower-cases ASCII letters only.</summary>
    public static bool NamesEqual(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (BytesEqualIgnoringAsciiCase(x, y))
        {
            return true;
        }

        // Different bytes are different characters, except that every invalid sequence decodes to U+FFFD.
        if (Ascii.IsValid(x) || Ascii.IsValid(y) || (System.Text.Unicode.Utf8.IsValid(x) && System.Text.Unicode.Utf8.IsValid(y)))
        {
            return false;
        }

        var decodedX = Encoding.UTF8.GetString(x);
        var decodedY = Encoding.UTF8.GetString(y);
        if (decodedX.Length != decodedY.Length)
        {
            return false;
        }

        for (var i = 0; i < decodedX.Length; i++)
        {
            if (decodedX[i] != decodedY[i] && !(char.IsAsciiLetter(decodedX[i]) && (decodedX[i] | 0x20) == (decodedY[i] | 0x20)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The tokenizer's whitespace: tab, line feed, form feed, space; carriage returns are line feeds by then.</summary>
    public static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';

    /// <summary>The tokenizer's whitespace, as a UTF-8 byte.</summary>
    public static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\f' or (byte)'\r';

    // Decodes UTF-8 into the thread's buffer; the characters are valid until the thread's next decoding.
    private static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8)
    {
        // UTF-8 never takes fewer bytes than UTF-16 takes characters, an invalid byte included.
        var buffer = t_chars;
        if (buffer is null || buffer.Length < utf8.Length)
        {
            buffer = new char[Math.Max(utf8.Length, 256)];
            if (buffer.Length <= MaxKeptChars)
            {
                t_chars = buffer;
            }
        }

        return buffer.AsSpan(0, Encoding.UTF8.GetChars(utf8, buffer));
    }

    // How many bytes of the text to decode next. A part ends where decoding it apart gives the characters it gives
    // within the whole: after an ASCII byte (which ends any sequence, valid or not) that is not a CR (a CR LF stays
    // together); and where references are decoded, before a space, tab or form feed, which ends any reference before
    // it just as the end of the text does.
    private static int TextChunkLength(ReadOnlySpan<byte> raw, bool references)
    {
        if (raw.Length <= TextChunkBytes)
        {
            return raw.Length;
        }

        var window = raw[(TextChunkBytes / 2)..TextChunkBytes];
        if (references)
        {
            var space = window.LastIndexOfAny((byte)' ', (byte)'\t', (byte)'\f');
            return space < 0 ? raw.Length : (TextChunkBytes / 2) + space;
        }

        for (var end = window.Length; end > 0;)
        {
            var ascii = window[..end].LastIndexOfAnyInRange((byte)0, (byte)0x7F);
            if (ascii < 0)
            {
                break;
            }

            if (window[ascii] != '\r')
            {
                return (TextChunkBytes / 2) + ascii + 1;
            }

            end = ascii;
        }

        return raw.Length;
    }

    // The parser gives the "</name" of raw text that does not end it with the name's ASCII letters in lower case.
    private static bool HasUpperCaseEndTagName(ReadOnlySpan<byte> raw)
    {
        for (var at = raw.IndexOf("</"u8); at >= 0 && at + 2 < raw.Length; at = raw.IndexOf("</"u8))
        {
            raw = raw[(at + 2)..];
            for (var i = 0; i < raw.Length && IsAsciiLetter(raw[i]); i++)
            {
                if (raw[i] <= 'Z')
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsAsciiLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';

    private static bool BytesEqualIgnoringAsciiCase(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != y.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (x[i] != y[i] && !(IsAsciiLetter(x[i]) && (x[i] | 0x20) == (y[i] | 0x20)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsTagNameEnd(byte b) => IsSpace(b) || b is (byte)'/' or (byte)'>';

    // The index of the next '<' that starts markup at or after from, or the document's length.
    private readonly int FindMarkup(int from)
    {
        while (true)
        {
            var lt = _html[from..].IndexOf((byte)'<');
            if (lt < 0)
            {
                return _html.Length;
            }

            var at = from + lt;
            if (at + 1 >= _html.Length)
            {
                return _html.Length;
            }

            var c = _html[at + 1];
            if (IsAsciiLetter(c) || c is (byte)'!' or (byte)'?' || (c == '/' && at + 2 < _html.Length))
            {
                return at;
            }

            from = at + 1;
        }
    }

    // At the first letter of a start tag's name. Returns false when the document ends inside the tag, which drops it.
    private bool StartTag()
    {
        Start = _at;
        while (_at < _html.Length && !IsTagNameEnd(_html[_at]))
        {
            _at++;
        }

        End = _at;
        if (!Attributes(record: true))
        {
            return false;
        }

        var name = _html[Start..End];
        foreach (var candidate in RawTextNames)
        {
            if (NameEquals(name, candidate))
            {
                _rawTextName = candidate;
                break;
            }
        }

        return true;
    }

    // After "</": an end tag, a bogus comment, nothing ("</>"), or nothing because the document ends inside the tag.
    private HtmlTokenKind? EndTagOrBogus()
    {
        _at++;
        var c = _html[_at];
        if (c == '>')
        {
            _at++;
            return null;
        }

        if (!IsAsciiLetter(c))
        {
            BogusComment();
            return HtmlTokenKind.Comment;
        }

        Start = _at;
        while (_at < _html.Length && !IsTagNameEnd(_html[_at]))
        {
            _at++;
        }

        End = _at;

        // End tags have attributes too, as far as the tokenizer is concerned; their quoted values may hold '>'.
        if (!Attributes(record: false))
        {
            return HtmlTokenKind.EndOfFile;
        }

        return HtmlTokenKind.EndTag;
    }

    // After "<!".
    private HtmlTokenKind MarkupDeclaration()
    {
        _at++;
        var rest = _html[_at..];
        if (!rest.StartsWith("--"u8))
        {
            if (rest.Length >= 7 && Ascii.EqualsIgnoreCase(rest[..7], "doctype"u8))
            {
                Start = End = _at;
                SkipPast((byte)'>');
                return HtmlTokenKind.Doctype;
            }

            // A bogus comment (including "<![CDATA[" outside foreign content): up to the first '>'.
            BogusComment();
            return HtmlTokenKind.Comment;
        }

        _at += 2;
        Start = End = _at;
        rest = _html[_at..];
        if (rest.StartsWith(">"u8))
        {
            _at += 1;
            return HtmlTokenKind.Comment;
        }

        if (rest.StartsWith("->"u8))
        {
            _at += 2;
            return HtmlTokenKind.Comment;
        }

        var close = rest.IndexOf("-->"u8);
        var bang = rest.IndexOf("--!>"u8);
        if (close < 0 && bang < 0)
        {
            _at = End = _html.Length;
            return HtmlTokenKind.Comment;
        }

        var length = close >= 0 && (bang < 0 || close < bang) ? close : bang;
        End = _at + length;
        _at = End + (length == close ? 3 : 4);
        return HtmlTokenKind.Comment;
    }

    // At the character after "<?", "<!" or "</": the comment runs to the first '>'.
    private void BogusComment()
    {
        Start = _at;
        SkipPast((byte)'>');
        End = Math.Max(Start, _html[_at - 1] == '>' ? _at - 1 : _at);
    }

    // At the character after a tag name: reads attributes up to and including the '>' that ends the tag. Returns false
    // when the document ends first.
    private bool Attributes(bool record)
    {
        var html = _html;
        while (true)
        {
            // Before attribute name ('/' not followed by '>' is an error treated as a separator).
            while (_at < html.Length && (IsSpace(html[_at]) || html[_at] == '/'))
            {
                _at++;
            }

            if (_at >= html.Length)
            {
                return false;
            }

            if (html[_at] == '>')
            {
                _at++;
                return true;
            }

            // Attribute name: a leading '=' is part of it.
            var nameStart = _at;
            _at++;
            while (_at < html.Length && !IsSpace(html[_at]) && html[_at] is not ((byte)'/' or (byte)'>' or (byte)'='))
            {
                _at++;
            }

            var nameEnd = _at;

            // After attribute name.
            while (_at < html.Length && IsSpace(html[_at]))
            {
                _at++;
            }

            if (_at >= html.Length)
            {
                return false;
            }

            if (html[_at] != '=')
            {
                if (record)
                {
                    Add(nameStart, nameEnd, _at, _at, '\0');
                }

                // '/', '>' or the start of the next attribute: the loop takes it from there.
                continue;
            }

            // Before attribute value.
            _at++;
            while (_at < html.Length && IsSpace(html[_at]))
            {
                _at++;
            }

            if (_at >= html.Length)
            {
                return false;
            }

            int valueStart, valueEnd;
            var quote = (char)html[_at];
            if (quote is '"' or '\'')
            {
                valueStart = _at + 1;
                var length = html[valueStart..].IndexOf((byte)quote);
                if (length < 0)
                {
                    _at = html.Length;
                    return false;
                }

                valueEnd = valueStart + length;
                _at = valueEnd + 1;
            }
            else if (quote == '>')
            {
                // A missing value: the attribute is empty and the tag ends here.
                valueStart = valueEnd = _at;
                quote = '\0';
            }
            else
            {
                valueStart = _at;
                while (_at < html.Length && !IsSpace(html[_at]) && html[_at] != '>')
                {
                    _at++;
                }

                valueEnd = _at;
                quote = '>';
            }

            if (record)
            {
                Add(nameStart, nameEnd, valueStart, valueEnd, quote);
            }
        }
    }

    private void Add(int nameStart, int nameEnd, int valueStart, int valueEnd, char quote)
    {
        var name = _html[nameStart..nameEnd];
        for (var i = 0; i < _attributeCount; i++)
        {
            if (NamesEqual(AttributeName(i), name))
            {
                // A duplicate: the tokenizer drops it.
                return;
            }
        }

        if (_attributeCount == _attributes.Length)
        {
            Array.Resize(ref _attributes, Math.Max(8, _attributes.Length * 2));
        }

        _attributes[_attributeCount++] = new AttributeRange(nameStart, nameEnd, valueStart, valueEnd, quote);
    }

    // After the start tag of an element whose contents are text: reads them as one text token, leaving the end tag for
    // the main loop. Returns false when there is no text (the end tag follows at once).
    private bool ReadRawText(string name)
    {
        var script = name == "script";
        var from = _at;
        var end = _html.Length;
        var search = _at;
        while (true)
        {
            var lt = _html[search..].IndexOf("</"u8);
            if (lt < 0)
            {
                break;
            }

            var candidate = search + lt;
            var after = candidate + 2 + name.Length;
            if (after < _html.Length && Ascii.EqualsIgnoreCase(_html.Slice(candidate + 2, name.Length), name) && IsTagNameEnd(_html[after]))
            {
                end = candidate;
                break;
            }

            search = candidate + 2;
        }

        // A script holding "<!--" has escape states in which "</script>" may not end it.
        if (script && _html[from..end].IndexOf("<!--"u8) >= 0)
        {
            _at = -1;
            Kind = HtmlTokenKind.Unsupported;
            return true;
        }

        _at = end;
        if (end == from)
        {
            return false;
        }

        Start = from;
        End = end;
        TextKind = name is "title" or "textarea" ? HtmlTextKind.EscapableRawText : HtmlTextKind.RawText;
        Kind = HtmlTokenKind.Text;
        return true;
    }

    private void SkipPast(byte b)
    {
        var i = _html[_at..].IndexOf(b);
        _at = i < 0 ? _html.Length : _at + i + 1;
    }

    // Quote is '"' or '\'' for a quoted value, '>' for an unquoted one, NUL for none: a reference followed by it is
    // not decoded.
    private readonly record struct AttributeRange(int NameStart, int NameEnd, int ValueStart, int ValueEnd, char Quote);
}
