using System.Text;

namespace Trawl.Http;

/// <summary>
/// Finds the hrefs of <c>&lt;a&gt;</c> and <c>&lt;base&gt;</c> elements by tokenizing HTML as the HTML standard does,
/// without building a document: the fast path of <see cref="Response"/>'s default link query (<c>a[href]</c>) when
/// nothing else needs the parsed page.
/// </summary>
/// <remarks>
/// <para>It follows the standard's tokenizer for tags, attributes (quoted, unquoted, valueless, duplicated: the first
/// wins), comments, doctypes and bogus comments, and the raw text of <c>script</c>, <c>style</c>, <c>xmp</c>,
/// <c>iframe</c>, <c>noembed</c>, <c>noframes</c>, <c>title</c> and <c>textarea</c>, so it finds exactly the
/// <c>a[href]</c> elements the parser would build, in document order.</para>
/// <para>Where the tree builder would drop, move or hide elements, or the tokenizer would need more than this models,
/// it gives up and the caller parses the page: <c>table</c> (foster parenting reorders), <c>select</c> and
/// <c>frameset</c> (anchors dropped), <c>template</c> (contents outside the document), <c>svg</c> and <c>math</c>
/// (foreign content), <c>plaintext</c>, a script holding <c>&lt;!--</c> (its escape states), and an href or base href
/// with a character reference other than <c>&amp;amp;</c> or with a NUL.</para>
/// </remarks>
internal static class HtmlLinkScanner
{
    /// <summary>
    /// Scans <paramref name="html"/>, appending to <paramref name="hrefs"/> the href of every <c>a</c> element that has
    /// one, in document order, and returning the href of the first <c>base</c> element that has one. Returns
    /// <see langword="false"/> when the page holds something this scanner does not model; <paramref name="hrefs"/> then
    /// holds an incomplete list and must be discarded.
    /// </summary>
    public static bool TryScan(string html, List<string> hrefs, out string? baseHref)
    {
        baseHref = null;
        var scanner = new Scanner(html, hrefs);
        var ok = scanner.Run();
        baseHref = scanner.BaseHref;
        return ok;
    }

    private ref struct Scanner
    {
        private readonly ReadOnlySpan<char> _html;
        private readonly string _source;
        private readonly List<string> _hrefs;
        private int _at;
        private bool _baseSeen;

        public Scanner(string html, List<string> hrefs)
        {
            _source = html;
            _html = html.AsSpan();
            _hrefs = hrefs;
            _at = 0;
            _baseSeen = false;
            BaseHref = null;
        }

        public string? BaseHref { get; private set; }

        public bool Run()
        {
            while (true)
            {
                var lt = _html[_at..].IndexOf('<');
                if (lt < 0)
                {
                    return true;
                }

                _at += lt + 1;
                if (_at >= _html.Length)
                {
                    return true;
                }

                var c = _html[_at];
                if (char.IsAsciiLetter(c))
                {
                    if (!StartTag())
                    {
                        return false;
                    }
                }
                else if (c == '/')
                {
                    EndTagOrBogus();
                }
                else if (c == '!')
                {
                    MarkupDeclaration();
                }
                else if (c == '?')
                {
                    SkipPast('>');
                }

                // Anything else: the '<' was text.
            }
        }

        // At the first letter of a start tag's name.
        private bool StartTag()
        {
            var nameStart = _at;
            while (_at < _html.Length && !IsTagNameEnd(_html[_at]))
            {
                _at++;
            }

            var kind = Classify(_html[nameStart.._at], out var rawTextName);
            if (kind == TagKind.Unmodelled)
            {
                return false;
            }

            string? href = null;
            var hasHref = false;
            var wantHref = kind is TagKind.Anchor or TagKind.Base;
            if (!Attributes(wantHref, ref hasHref, ref href, out var complete))
            {
                return false;
            }

            if (!complete)
            {
                // The document ended inside the tag: the tokenizer drops it.
                return true;
            }

            if (hasHref)
            {
                if (kind == TagKind.Anchor)
                {
                    _hrefs.Add(href!);
                }
                else if (!_baseSeen)
                {
                    _baseSeen = true;
                    BaseHref = href;
                }
            }

            return kind != TagKind.RawText || SkipRawText(rawTextName!);
        }

        // After "</".
        private void EndTagOrBogus()
        {
            _at++;
            if (_at >= _html.Length)
            {
                return;
            }

            var c = _html[_at];
            if (c == '>')
            {
                _at++;
                return;
            }

            if (!char.IsAsciiLetter(c))
            {
                SkipPast('>');
                return;
            }

            while (_at < _html.Length && !IsTagNameEnd(_html[_at]))
            {
                _at++;
            }

            // End tags have attributes too, as far as the tokenizer is concerned; their quoted values may hold '>'.
            string? ignored = null;
            var none = false;
            Attributes(wantHref: false, ref none, ref ignored, out _);
        }

        // After "<!".
        private void MarkupDeclaration()
        {
            _at++;
            var rest = _html[_at..];
            if (!rest.StartsWith("--"))
            {
                // A doctype, or a bogus comment (including "<![CDATA[" outside foreign content): up to the first '>'.
                SkipPast('>');
                return;
            }

            _at += 2;
            rest = _html[_at..];
            if (rest.StartsWith(">"))
            {
                _at += 1;
                return;
            }

            if (rest.StartsWith("->"))
            {
                _at += 2;
                return;
            }

            var close = rest.IndexOf("-->");
            var bang = rest.IndexOf("--!>");
            if (close < 0 && bang < 0)
            {
                _at = _html.Length;
                return;
            }

            _at += close >= 0 && (bang < 0 || close < bang) ? close + 3 : bang + 4;
        }

        // At the character after a tag name: reads attributes up to and including the '>' that ends the tag. Returns false
        // when an href holds what this scanner does not decode; complete is false when the document ends first.
        private bool Attributes(bool wantHref, ref bool hasHref, ref string? href, out bool complete)
        {
            complete = false;
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
                    return true;
                }

                if (html[_at] == '>')
                {
                    _at++;
                    complete = true;
                    return true;
                }

                // Attribute name: a leading '=' is part of it.
                var nameStart = _at;
                _at++;
                while (_at < html.Length && !IsSpace(html[_at]) && html[_at] is not ('/' or '>' or '='))
                {
                    _at++;
                }

                var isHref = wantHref && !hasHref && IsHref(html[nameStart.._at]);

                // After attribute name.
                while (_at < html.Length && IsSpace(html[_at]))
                {
                    _at++;
                }

                if (_at >= html.Length)
                {
                    return true;
                }

                if (html[_at] != '=')
                {
                    if (isHref)
                    {
                        hasHref = true;
                        href = string.Empty;
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
                    return true;
                }

                int valueStart, valueEnd;
                var quote = html[_at];
                if (quote is '"' or '\'')
                {
                    valueStart = _at + 1;
                    var length = html[valueStart..].IndexOf(quote);
                    if (length < 0)
                    {
                        _at = html.Length;
                        return true;
                    }

                    valueEnd = valueStart + length;
                    _at = valueEnd + 1;
                }
                else if (quote == '>')
                {
                    // A missing value: the attribute is empty and the tag ends here.
                    valueStart = valueEnd = _at;
                }
                else
                {
                    valueStart = _at;
                    while (_at < html.Length && !IsSpace(html[_at]) && html[_at] != '>')
                    {
                        _at++;
                    }

                    valueEnd = _at;
                }

                if (isHref)
                {
                    hasHref = true;
                    if (!TryDecode(valueStart, valueEnd, out href))
                    {
                        return false;
                    }
                }
            }
        }

        // After the start tag of an element whose contents are text: skips to its end tag, which is left for the main loop.
        private bool SkipRawText(string name)
        {
            var script = name == "script";
            var from = _at;
            while (true)
            {
                var lt = _html[_at..].IndexOf("</", StringComparison.Ordinal);
                if (lt < 0)
                {
                    _at = _html.Length;
                    return !script || _html[from..].IndexOf("<!--", StringComparison.Ordinal) < 0;
                }

                var end = _at + lt;
                var after = end + 2 + name.Length;
                if (after < _html.Length && Ascii.EqualsIgnoreCase(_html.Slice(end + 2, name.Length), name) && IsTagNameEnd(_html[after]))
                {
                    // A script holding "<!--" has escape states in which "</script>" may not end it.
                    if (script && _html[from..end].IndexOf("<!--", StringComparison.Ordinal) >= 0)
                    {
                        return false;
                    }

                    _at = end;
                    return true;
                }

                _at = end + 2;
            }
        }

        private readonly bool TryDecode(int start, int end, out string? value)
        {
            var raw = _html[start..end];
            if (raw.IndexOf('\0') >= 0)
            {
                value = null;
                return false;
            }

            var amp = raw.IndexOf('&');
            if (amp < 0)
            {
                value = start == 0 && end == _source.Length ? _source : raw.ToString();
                return true;
            }

            var decoded = new StringBuilder(raw.Length);
            while (amp >= 0)
            {
                decoded.Append(raw[..amp]);
                raw = raw[amp..];
                if (TryDecodeReference(raw, out var c, out var length))
                {
                    decoded.Append(c);
                    raw = raw[length..];
                }
                else if (raw.Length > 1 && (raw[1] == '#' || (char.IsAsciiLetterOrDigit(raw[1]) && !IsNameBeforeEquals(raw[1..]))))
                {
                    // Another character reference, perhaps: named ones follow legacy rules in attribute values.
                    value = null;
                    return false;
                }
                else
                {
                    decoded.Append('&');
                    raw = raw[1..];
                }

                amp = raw.IndexOf('&');
            }

            decoded.Append(raw);
            value = decoded.ToString();
            return true;
        }

        private void SkipPast(char c)
        {
            var i = _html[_at..].IndexOf(c);
            _at = i < 0 ? _html.Length : _at + i + 1;
        }
    }

    private enum TagKind
    {
        Other,
        Anchor,
        Base,
        RawText,
        Unmodelled,
    }

    private static readonly string[] RawTextNames = ["script", "style", "xmp", "iframe", "noembed", "noframes", "title", "textarea"];
    private static readonly string[] UnmodelledNames = ["table", "select", "frameset", "template", "svg", "math", "plaintext"];

    private static TagKind Classify(ReadOnlySpan<char> name, out string? rawTextName)
    {
        rawTextName = null;
        if (name.Length == 1)
        {
            return name[0] is 'a' or 'A' ? TagKind.Anchor : TagKind.Other;
        }

        if (Ascii.EqualsIgnoreCase(name, "base"))
        {
            return TagKind.Base;
        }

        foreach (var candidate in RawTextNames)
        {
            if (Ascii.EqualsIgnoreCase(name, candidate))
            {
                rawTextName = candidate;
                return TagKind.RawText;
            }
        }

        foreach (var candidate in UnmodelledNames)
        {
            if (Ascii.EqualsIgnoreCase(name, candidate))
            {
                return TagKind.Unmodelled;
            }
        }

        return TagKind.Other;
    }

    private static bool IsHref(ReadOnlySpan<char> name) => Ascii.EqualsIgnoreCase(name, "href");

    // The references that turn up in links, spelled out in full: a few named ones, and numeric ones for printable ASCII
    // (others need the standard's replacement rules). Anything else is left to the parser.
    private static bool TryDecodeReference(ReadOnlySpan<char> text, out char c, out int length)
    {
        c = default;
        var semicolon = text.IndexOf(';');
        length = semicolon + 1;
        if (semicolon < 3)
        {
            return false;
        }

        var name = text[1..semicolon];
        c = name switch
        {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => default,
        };
        if (c != default)
        {
            return true;
        }

        if (name.Length < 2 || name[0] != '#' || name.Length > 8)
        {
            return false;
        }

        var hex = name[1] is 'x' or 'X';
        var digits = name[(hex ? 2 : 1)..];
        if (digits.IsEmpty || !int.TryParse(digits, hex ? System.Globalization.NumberStyles.AllowHexSpecifier : System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code)
            || code is < 0x20 or > 0x7E)
        {
            return false;
        }

        c = (char)code;
        return true;
    }

    // "&name=": in an attribute value, letters and digits followed by '=' are never a character reference, whatever
    // legacy reference they start with ("&not=1" stays as it is), which is what query strings look like.
    private static bool IsNameBeforeEquals(ReadOnlySpan<char> text)
    {
        var i = 0;
        while (i < text.Length && char.IsAsciiLetterOrDigit(text[i]))
        {
            i++;
        }

        return i < text.Length && text[i] == '=';
    }

    // The tokenizer's whitespace: tab, line feed, form feed, space; carriage returns are line feeds by then.
    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';

    private static bool IsTagNameEnd(char c) => IsSpace(c) || c is '/' or '>';
}
