using System.Text;

namespace Trawl.Html;

/// <summary>What <see cref="HtmlTreeReader.Read"/> reached.</summary>
internal enum HtmlNodeKind : byte
{
    /// <summary>Nothing: before the first read, or after the last.</summary>
    None,

    /// <summary>An element was inserted as the last child of the current element, and is now the current element.</summary>
    ElementStart,

    /// <summary>The current element was closed; its parent is the current element again.</summary>
    ElementEnd,

    /// <summary>Characters were appended to the current element; with no other node in between, they extend its last text node.</summary>
    Text,

    /// <summary>A comment was appended to the current element, which ends its last text node.</summary>
    Comment,
}

/// <summary>
/// Reads the tree that the HTML standard's tree builder (as the parser every response uses implements it) would build
/// from a page, in document order, without building it: elements start and end, and text is appended to the current
/// element, like an <c>XmlReader</c>. Only the stack of open elements is kept.
/// </summary>
/// <remarks>
/// <para>It models the insertion modes of an ordinary page (before and in <c>head</c>, in <c>body</c>, after
/// <c>body</c>, and the contents of raw text elements), with the implied <c>html</c>, <c>head</c> and <c>body</c>
/// elements, and the implied end tags the parser generates where they only close elements: a <c>p</c> closed by a
/// block or by <c>&lt;/div&gt;</c>, an <c>li</c> by the next <c>li</c>, a <c>dd</c> or <c>dt</c> by the next, a
/// heading by the next heading, an unclosed element by its parent's end tag; stray end tags ignored, a stray
/// <c>&lt;/p&gt;</c> read as an empty <c>p</c> and <c>&lt;/br&gt;</c> as a <c>br</c>, as the parser does.</para>
/// <para>It gives up (<see cref="Read"/> returns false with <see cref="GaveUp"/> set), and the caller parses the page,
/// wherever the tree builder would move, clone, drop or merge nodes or the tokenizer would need more than
/// <see cref="HtmlTokenizer"/> models: tables, <c>template</c>, <c>select</c> and options, foreign content
/// (<c>svg</c>, <c>math</c>), frames, <c>plaintext</c>, ruby parts, a formatting element (<c>a</c>, <c>b</c>,
/// <c>i</c> …) closed other than as the current element or left open when something closes around it (the adoption
/// agency would clone it), a second <c>html</c> or <c>body</c> tag (its attributes merge into the first),
/// <c>noscript</c> in <c>head</c>, head elements after <c>&lt;/head&gt;</c>, text that starts with a reference to
/// whitespace where the tree builder treats leading whitespace apart, and nesting deeper than
/// <see cref="MaxDepth"/>. <see cref="GiveUpReason"/> says which.</para>
/// </remarks>
internal ref struct HtmlTreeReader
{
    /// <summary>The deepest nesting modelled; deeper pages are left to the parser.</summary>
    public const int MaxDepth = 4096;

    // Each thread keeps one set of buffers for the readers it runs.
    [ThreadStatic]
    private static OpenElement[]? t_stack;

    [ThreadStatic]
    private static Node[]? t_queue;

    private HtmlTokenizer _tokenizer;
    private OpenElement[] _stack;
    private int _depth;

    // How many p and formatting elements are open, so that most tags need no walk down the stack.
    private int _openParagraphs;
    private int _openFormatting;
    private Node[] _queue;
    private int _queueHead;
    private int _queueCount;
    private Node _current;
    private Mode _mode;
    private Mode _returnMode;
    private bool _skipNewline;
    private bool _formOpen;
    private bool _done;

    /// <summary>Starts reading a whole document, given as UTF-8 without a byte-order mark (<see cref="Utf8Html"/>).</summary>
    public HtmlTreeReader(ReadOnlySpan<byte> utf8)
    {
        _tokenizer = new HtmlTokenizer(utf8);
        _stack = t_stack ?? new OpenElement[64];
        _queue = t_queue ?? new Node[32];
        t_stack = null;
        t_queue = null;
        _mode = Mode.Initial;
    }

    private enum Mode : byte
    {
        Initial,
        BeforeHtml,
        BeforeHead,
        InHead,
        AfterHead,
        InBody,
        Text,
        AfterBody,
        AfterAfterBody,
    }

    /// <summary>What the reader is at.</summary>
    public readonly HtmlNodeKind NodeKind => _current.Kind;

    /// <summary>Whether reading stopped because the page holds markup this reader does not model.</summary>
    public bool GaveUp { get; private set; }

    /// <summary>Why the reader gave up, and where, for diagnostics; <see langword="null"/> while it has not.</summary>
    public string? GiveUpReason { get; private set; }

    /// <summary>At an element's start: its rules, or <see langword="null"/> for an ordinary element.</summary>
    public readonly HtmlTag? Tag => _current.Tag;

    /// <summary>At an element's start: its name as written, in UTF-8 (compare with <see cref="HtmlTokenizer.NameEquals"/>); a known tag's in lower case.</summary>
    public readonly ReadOnlySpan<byte> Name => _current.Tag is { } tag ? tag.Utf8Name : _tokenizer.Source[_current.Start.._current.End];

    /// <summary>At an element's start: how many attributes it has (implied elements have none).</summary>
    public readonly int AttributeCount => _current.HasAttributes ? _tokenizer.AttributeCount : 0;

    /// <summary>At an element's start: an attribute's name as written, in UTF-8.</summary>
    public readonly ReadOnlySpan<byte> AttributeName(int index) => _tokenizer.AttributeName(index);

    /// <summary>At an element's start: an attribute's value, decoded and valid until the next call; false when it holds a character reference that cannot be decoded exactly.</summary>
    public bool TryGetAttributeValue(int index, out ReadOnlySpan<char> value) => _tokenizer.TryGetAttributeValue(index, out value);

    /// <summary>At an element's start: an attribute's value as a string, decoded; false when it holds a character reference that cannot be decoded exactly.</summary>
    public bool TryGetAttributeValue(int index, out string value) => _tokenizer.TryGetAttributeValue(index, out value);

    /// <summary>
    /// At an element's start: the value of its attribute with this (lower-case) name, decoded and valid until the next
    /// call; false when it holds a character reference that cannot be decoded exactly.
    /// </summary>
    public bool TryGetAttribute(string lowerCaseName, out bool found, out ReadOnlySpan<char> value)
    {
        var index = _current.HasAttributes ? _tokenizer.FindAttribute(lowerCaseName) : -1;
        found = index >= 0;
        value = default;
        return !found || _tokenizer.TryGetAttributeValue(index, out value);
    }

    /// <summary>At an element's start: the value of its attribute with this (lower-case) name as a string; see <see cref="TryGetAttribute(string, out bool, out ReadOnlySpan{char})"/>.</summary>
    public bool TryGetAttribute(string lowerCaseName, out bool found, out string value)
    {
        var index = _current.HasAttributes ? _tokenizer.FindAttribute(lowerCaseName) : -1;
        found = index >= 0;
        value = string.Empty;
        return !found || _tokenizer.TryGetAttributeValue(index, out value);
    }

    /// <summary>At text: appends its characters, decoded; false when they hold a character reference that cannot be decoded exactly.</summary>
    public readonly bool TryAppendText(StringBuilder text) => _tokenizer.TryAppendText(_current.Start, _current.End, text);

    /// <summary>Hands the reader's buffers back to its thread; the reader must not be used after.</summary>
    public void Dispose()
    {
        _tokenizer.Dispose();
        if (_stack.Length <= 1024 && _queue.Length <= 1024)
        {
            t_stack = _stack;
            t_queue = _queue;
        }

        _stack = [];
        _queue = [];
        _depth = _queueHead = _queueCount = _openParagraphs = _openFormatting = 0;
        _done = true;
    }

    /// <summary>Moves to the next node event. Returns false at the end of the document, or when it gave up (<see cref="GaveUp"/>).</summary>
    public bool Read()
    {
        while (_queueCount == 0)
        {
            if (_done || GaveUp)
            {
                _current = default;
                return false;
            }

            Process();
        }

        if (GaveUp)
        {
            _current = default;
            return false;
        }

        _current = _queue[_queueHead];
        _queueHead = --_queueCount == 0 ? 0 : _queueHead + 1;
        return true;
    }

    private void Process()
    {
        var kind = _tokenizer.Next();
        if (kind == HtmlTokenKind.Unsupported)
        {
            GiveUp("markup the tokenizer does not model");
            return;
        }

        var start = _tokenizer.Start;
        var end = _tokenizer.End;
        if (_skipNewline)
        {
            // A newline right after <pre>, <listing> or <textarea> is dropped.
            _skipNewline = false;
            if (kind == HtmlTokenKind.Text)
            {
                var source = _tokenizer.Source;
                if (source[start] == '&')
                {
                    if (!HtmlCharacterReferences.TryDecodeFirst(source[start..end], out var first, out var length))
                    {
                        GiveUp("a reference right after pre or textarea");
                        return;
                    }

                    if (first == '\n')
                    {
                        if (length == end - start)
                        {
                            return;
                        }

                        // The rest of the token follows the reference, which the tree builder dropped.
                        GiveUp("a reference to a newline right after pre or textarea");
                        return;
                    }
                }
                else if (source[start] == '\r')
                {
                    start += start + 1 < end && source[start + 1] == '\n' ? 2 : 1;
                }
                else if (source[start] == '\n')
                {
                    start++;
                }

                if (start == end)
                {
                    return;
                }
            }
        }

        while (!GaveUp && Dispatch(kind, ref start, end))
        {
        }
    }

    // Returns true when the token is to be processed again in the mode it switched to.
    private bool Dispatch(HtmlTokenKind kind, ref int start, int end) => _mode switch
    {
        Mode.Initial => Initial(kind, ref start, end),
        Mode.BeforeHtml => BeforeHtml(kind, ref start, end),
        Mode.BeforeHead => BeforeHead(kind, ref start, end),
        Mode.InHead => InHead(kind, ref start, end),
        Mode.AfterHead => AfterHead(kind, ref start, end),
        Mode.InBody => InBody(kind, start, end),
        Mode.Text => InText(kind, start, end),
        _ => AfterBody(kind, ref start, end),
    };

    private bool Initial(HtmlTokenKind kind, ref int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text when SkipWhitespace(ref start, end):
            case HtmlTokenKind.Comment:
                return false;
            case HtmlTokenKind.Doctype:
                _mode = Mode.BeforeHtml;
                return false;
            default:
                _mode = Mode.BeforeHtml;
                return !GaveUp;
        }
    }

    private bool BeforeHtml(HtmlTokenKind kind, ref int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text when SkipWhitespace(ref start, end):
            case HtmlTokenKind.Comment or HtmlTokenKind.Doctype:
                return false;
            case HtmlTokenKind.StartTag when TokenIs(HtmlTag.Html):
                return Open(HtmlTag.Html, Mode.BeforeHead);
            case HtmlTokenKind.EndTag when !TokenIsOneOf("html", "head", "body", "br"):
                return false;
            default:
                return Imply(HtmlTag.Html, Mode.BeforeHead);
        }
    }

    private bool BeforeHead(HtmlTokenKind kind, ref int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text when SkipWhitespace(ref start, end):
            case HtmlTokenKind.Doctype:
                return false;
            case HtmlTokenKind.Comment:
                Enqueue(new Node(HtmlNodeKind.Comment));
                return false;
            case HtmlTokenKind.StartTag when TokenIs(HtmlTag.Html):
                GiveUp("a second html tag");
                return false;
            case HtmlTokenKind.StartTag when TokenIs(HtmlTag.Head):
                return Open(HtmlTag.Head, Mode.InHead);
            case HtmlTokenKind.EndTag when !TokenIsOneOf("html", "head", "body", "br"):
                return false;
            default:
                return Imply(HtmlTag.Head, Mode.InHead);
        }
    }

    private bool InHead(HtmlTokenKind kind, ref int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text:
                if (AppendWhitespace(ref start, end))
                {
                    return false;
                }

                break;
            case HtmlTokenKind.Comment:
                Enqueue(new Node(HtmlNodeKind.Comment));
                return false;
            case HtmlTokenKind.Doctype:
                return false;
            case HtmlTokenKind.StartTag:
                var tag = HtmlTag.Find(_tokenizer.Name);
                switch (tag?.Name)
                {
                    case "meta" or "link" or "base" or "basefont" or "bgsound":
                        Insert(tag, fromToken: true);
                        Pop();
                        return false;
                    case "title" or "style" or "noframes" or "script":
                        InsertRawText();
                        return false;
                    case "head":
                        return false;
                    case "html" or "noscript" or "template":
                        GiveUp("html, noscript or template in head");
                        return false;
                }

                break;
            case HtmlTokenKind.EndTag:
                if (TokenIs(HtmlTag.Head))
                {
                    Pop();
                    _mode = Mode.AfterHead;
                    return false;
                }

                if (!TokenIsOneOf("html", "body", "br"))
                {
                    if (TokenIsOneOf("template"))
                    {
                        GiveUp("template");
                    }

                    return false;
                }

                break;
        }

        if (GaveUp)
        {
            return false;
        }

        Pop();
        _mode = Mode.AfterHead;
        return true;
    }

    private bool AfterHead(HtmlTokenKind kind, ref int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text:
                if (AppendWhitespace(ref start, end))
                {
                    return false;
                }

                break;
            case HtmlTokenKind.Comment:
                Enqueue(new Node(HtmlNodeKind.Comment));
                return false;
            case HtmlTokenKind.Doctype:
                return false;
            case HtmlTokenKind.StartTag when TokenIs(HtmlTag.Body):
                return Open(HtmlTag.Body, Mode.InBody);
            case HtmlTokenKind.StartTag when TokenIsOneOf("head"):
                return false;
            case HtmlTokenKind.StartTag when TokenIsOneOf("html", "frameset", "base", "basefont", "bgsound", "link", "meta", "noframes", "script", "style", "template", "title"):
                // Head elements after </head> go back into the head.
                GiveUp("a head element after the head");
                return false;
            case HtmlTokenKind.EndTag when !TokenIsOneOf("html", "body", "br"):
                return false;
        }

        return Imply(HtmlTag.Body, Mode.InBody);
    }

    // The tag's element, with its attributes, and the mode that follows it.
    private bool Open(HtmlTag tag, Mode next)
    {
        Insert(tag, fromToken: true);
        _mode = next;
        return false;
    }

    // The element the token implies, without attributes, and the mode in which the token is processed again.
    private bool Imply(HtmlTag tag, Mode next)
    {
        if (GaveUp)
        {
            return false;
        }

        Insert(tag, fromToken: false);
        _mode = next;
        return true;
    }

    private bool InBody(HtmlTokenKind kind, int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text:
                Enqueue(new Node(HtmlNodeKind.Text, null, start, end, hasAttributes: false));
                break;
            case HtmlTokenKind.Comment:
                Enqueue(new Node(HtmlNodeKind.Comment));
                break;
            case HtmlTokenKind.StartTag:
                StartTagInBody();
                break;
            case HtmlTokenKind.EndTag:
                return EndTagInBody();
            case HtmlTokenKind.EndOfFile:
                PopAll();
                break;
        }

        return false;
    }

    private bool InText(HtmlTokenKind kind, int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text:
                Enqueue(new Node(HtmlNodeKind.Text, null, start, end, hasAttributes: false));
                return false;
            case HtmlTokenKind.EndTag:
                Pop();
                _mode = _returnMode;
                return false;
            default:
                // The end of the document inside the element closes it.
                Pop();
                _mode = _returnMode;
                return true;
        }
    }

    // "After body" and "after after body": whitespace still goes to the current element, comments elsewhere (they end
    // no text node of it), and anything else goes back to "in body".
    private bool AfterBody(HtmlTokenKind kind, ref int start, int end)
    {
        switch (kind)
        {
            case HtmlTokenKind.Text:
                if (AppendWhitespace(ref start, end))
                {
                    return false;
                }

                break;
            case HtmlTokenKind.Comment or HtmlTokenKind.Doctype:
                return false;
            case HtmlTokenKind.StartTag when TokenIs(HtmlTag.Html):
                GiveUp("a second html tag");
                return false;
            case HtmlTokenKind.EndTag when _mode == Mode.AfterBody && TokenIs(HtmlTag.Html):
                _mode = Mode.AfterAfterBody;
                return false;
            case HtmlTokenKind.EndOfFile:
                PopAll();
                return false;
        }

        if (GaveUp)
        {
            return false;
        }

        _mode = Mode.InBody;
        return true;
    }

    private void StartTagInBody()
    {
        var tag = HtmlTag.Find(_tokenizer.Name);
        switch (tag?.Start ?? HtmlStartRule.Ordinary)
        {
            case HtmlStartRule.Ordinary or HtmlStartRule.Marker:
                Insert(tag, fromToken: true);
                break;
            case HtmlStartRule.ClosesParagraph:
                CloseParagraphInButtonScope();
                Insert(tag, fromToken: true);
                break;
            case HtmlStartRule.Anchor:
                // An open <a> would be closed by the adoption agency, and perhaps cloned.
                if (CountOpen(tag!) > 0)
                {
                    GiveUp("an a inside an a");
                    return;
                }

                Insert(tag, fromToken: true);
                break;
            case HtmlStartRule.Formatting:
                InsertFormatting(tag!);
                break;
            case HtmlStartRule.NoBreak:
                if (FindInScope(tag!, HtmlTagFlags.Scope) >= 0)
                {
                    GiveUp("a nobr inside a nobr");
                    return;
                }

                InsertFormatting(tag!);
                break;
            case HtmlStartRule.ListItem or HtmlStartRule.DefinitionItem:
                CloseListItem(tag!);
                CloseParagraphInButtonScope();
                Insert(tag, fromToken: true);
                break;
            case HtmlStartRule.Heading:
                CloseParagraphInButtonScope();
                if (_stack[_depth - 1].Tag?.End == HtmlEndRule.Heading)
                {
                    Pop();
                }

                Insert(tag, fromToken: true);
                break;
            case HtmlStartRule.Void:
                Insert(tag, fromToken: true);
                Pop();
                break;
            case HtmlStartRule.ClosesParagraphVoid:
                CloseParagraphInButtonScope();
                Insert(tag, fromToken: true);
                Pop();
                break;
            case HtmlStartRule.Preformatted:
                CloseParagraphInButtonScope();
                Insert(tag, fromToken: true);
                _skipNewline = true;
                break;
            case HtmlStartRule.Form:
                if (_formOpen)
                {
                    // A form inside a form is ignored.
                    return;
                }

                CloseParagraphInButtonScope();
                Insert(tag, fromToken: true);
                _formOpen = true;
                break;
            case HtmlStartRule.Button:
                if (FindInScope(tag!, HtmlTagFlags.Scope) >= 0)
                {
                    GiveUp("a button inside a button");
                    return;
                }

                Insert(tag, fromToken: true);
                break;
            case HtmlStartRule.RawText:
                InsertRawText();
                break;
            case HtmlStartRule.ClosesParagraphRawText:
                CloseParagraphInButtonScope();
                InsertRawText();
                break;
            case HtmlStartRule.TextArea:
                InsertRawText();
                _skipNewline = true;
                break;
            case HtmlStartRule.Ignored:
                break;
            default:
                GiveUp($"<{tag!.Name}>, which the tree builder moves, drops or reinterprets here");
                break;
        }
    }

    // Returns true when the token is to be processed again.
    private bool EndTagInBody()
    {
        var tag = HtmlTag.Find(_tokenizer.Name);
        int index;
        switch (tag?.End ?? HtmlEndRule.Other)
        {
            case HtmlEndRule.Block or HtmlEndRule.DefinitionItem or HtmlEndRule.Marker:
                index = FindInScope(tag!, HtmlTagFlags.Scope);
                if (index >= 0)
                {
                    PopThrough(index);
                }

                break;
            case HtmlEndRule.ListItem:
                index = FindInScope(tag!, HtmlTagFlags.Scope | HtmlTagFlags.ListScope);
                if (index >= 0)
                {
                    PopThrough(index);
                }

                break;
            case HtmlEndRule.Heading:
                index = FindHeadingInScope();
                if (index >= 0)
                {
                    PopThrough(index);
                }

                break;
            case HtmlEndRule.Paragraph:
                index = FindParagraphInButtonScope();
                if (index < 0)
                {
                    // Without an open <p>, an empty one is inserted.
                    Insert(tag, fromToken: false);
                    Pop();
                    return false;
                }

                PopThrough(index);
                break;
            case HtmlEndRule.Formatting:
                // The adoption agency, when the element is the current node: it is simply closed. With none of that
                // name open, the end tag is ignored.
                if (CountOpen(tag!) == 0)
                {
                    return false;
                }

                if (_stack[_depth - 1].Tag != tag)
                {
                    GiveUp("a formatting element closed out of order");
                    return false;
                }

                Pop();
                break;
            case HtmlEndRule.Form:
                if (!_formOpen)
                {
                    return false;
                }

                _formOpen = false;
                if (FindInScope(tag!, HtmlTagFlags.Scope) < 0)
                {
                    return false;
                }

                while ((_stack[_depth - 1].Flags & HtmlTagFlags.ImpliedEnd) != 0)
                {
                    Pop();
                }

                if (_stack[_depth - 1].Tag != tag)
                {
                    // The form would be removed from the middle of the stack.
                    GiveUp("a form closed out of order");
                    return false;
                }

                Pop();
                break;
            case HtmlEndRule.Body or HtmlEndRule.Html:
                if (FindInScope(HtmlTag.Body, HtmlTagFlags.Scope) >= 0)
                {
                    // The body stays open: text after it still goes to the current element.
                    _mode = Mode.AfterBody;
                    return tag!.End == HtmlEndRule.Html;
                }

                break;
            case HtmlEndRule.Other:
                CloseOther(tag);
                break;
            case HtmlEndRule.Break:
                // </br> is <br>, without its attributes.
                Insert(tag, fromToken: false);
                Pop();
                break;
            default:
                GiveUp("an end tag the tree builder reinterprets");
                break;
        }

        return false;
    }

    // "Any other end tag": closes the nearest open element of that name unless a special element is open inside it.
    private void CloseOther(HtmlTag? tag)
    {
        var name = _tokenizer.Name;
        for (var i = _depth - 1; i >= 0; i--)
        {
            ref readonly var element = ref _stack[i];
            if (tag is not null ? element.Tag == tag : element.Tag is null && HtmlTokenizer.NamesEqual(_tokenizer.Source[element.NameStart..element.NameEnd], name))
            {
                PopThrough(i);
                return;
            }

            if ((element.Flags & HtmlTagFlags.Special) != 0)
            {
                return;
            }
        }
    }

    // A new li closes an open li, a new dd or dt an open dd or dt, unless a special element other than address, div
    // or p is open inside it.
    private void CloseListItem(HtmlTag tag)
    {
        for (var i = _depth - 1; i >= 0; i--)
        {
            var open = _stack[i].Tag;
            if (open is not null && (open == tag || (open.Start == HtmlStartRule.DefinitionItem && tag.Start == HtmlStartRule.DefinitionItem)))
            {
                PopThrough(i);
                return;
            }

            if ((_stack[i].Flags & HtmlTagFlags.Special) != 0 && open?.Name is not ("address" or "div" or "p"))
            {
                return;
            }
        }
    }

    private void CloseParagraphInButtonScope()
    {
        var index = FindParagraphInButtonScope();
        if (index >= 0)
        {
            PopThrough(index);
        }
    }

    private void InsertFormatting(HtmlTag tag)
    {
        // Three open elements of the same name: the parser's list of formatting elements starts forgetting them.
        if (CountOpen(tag) >= 3)
        {
            GiveUp("a fourth open formatting element of one name");
            return;
        }

        Insert(tag, fromToken: true);
    }

    private void InsertRawText()
    {
        Insert(HtmlTag.Find(_tokenizer.Name), fromToken: true);
        _returnMode = _mode;
        _mode = Mode.Text;
    }

    private readonly int CountOpen(HtmlTag tag)
    {
        if (_openFormatting == 0 && (tag.Flags & HtmlTagFlags.Formatting) != 0)
        {
            return 0;
        }

        var count = 0;
        for (var i = 0; i < _depth; i++)
        {
            if (_stack[i].Tag == tag)
            {
                count++;
            }
        }

        return count;
    }

    // The index of the nearest open element with this tag, if no element bounding the scope is open inside it.
    private readonly int FindInScope(HtmlTag tag, HtmlTagFlags boundary)
    {
        for (var i = _depth - 1; i >= 0; i--)
        {
            if (_stack[i].Tag == tag)
            {
                return i;
            }

            if ((_stack[i].Flags & boundary) != 0)
            {
                return -1;
            }
        }

        return -1;
    }

    private readonly int FindHeadingInScope()
    {
        for (var i = _depth - 1; i >= 0; i--)
        {
            if (_stack[i].Tag?.End == HtmlEndRule.Heading)
            {
                return i;
            }

            if ((_stack[i].Flags & HtmlTagFlags.Scope) != 0)
            {
                return -1;
            }
        }

        return -1;
    }

    private readonly int FindParagraphInButtonScope()
    {
        if (_openParagraphs == 0)
        {
            return -1;
        }

        for (var i = _depth - 1; i >= 0; i--)
        {
            var tag = _stack[i].Tag;
            if (tag?.End == HtmlEndRule.Paragraph)
            {
                return i;
            }

            if ((_stack[i].Flags & HtmlTagFlags.Scope) != 0 || tag?.Start == HtmlStartRule.Button)
            {
                return -1;
            }
        }

        return -1;
    }

    private readonly bool TokenIs(HtmlTag tag) => HtmlTokenizer.NameEquals(_tokenizer.Name, tag.Name);

    private readonly bool TokenIsOneOf(params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (HtmlTokenizer.NameEquals(_tokenizer.Name, name))
            {
                return true;
            }
        }

        return false;
    }

    // Skips leading whitespace, which these modes ignore. Returns true when nothing else is left.
    private bool SkipWhitespace(ref int start, int end)
    {
        var source = _tokenizer.Source;
        while (start < end && HtmlTokenizer.IsSpace(source[start]))
        {
            start++;
        }

        return start == end || !RestIsPlain(start, end);
    }

    // Appends leading whitespace to the current element. Returns true when nothing else is left.
    private bool AppendWhitespace(ref int start, int end)
    {
        var source = _tokenizer.Source;
        var from = start;
        while (start < end && HtmlTokenizer.IsSpace(source[start]))
        {
            start++;
        }

        if (start > from)
        {
            Enqueue(new Node(HtmlNodeKind.Text, null, from, start, hasAttributes: false));
        }

        return start == end || !RestIsPlain(start, end);
    }

    // Where the tree builder takes leading whitespace apart from the rest, a reference standing for whitespace would
    // be taken apart too.
    private bool RestIsPlain(int start, int end)
    {
        var source = _tokenizer.Source;
        if (source[start] == '&'
            && (_tokenizer.TextKind == HtmlTextKind.RawText
                || !HtmlCharacterReferences.TryDecodeFirst(source[start..end], out var first, out _)
                || HtmlTokenizer.IsSpace(first)))
        {
            GiveUp("a reference to whitespace where leading whitespace is taken apart");
            return false;
        }

        return true;
    }

    private void Insert(HtmlTag? tag, bool fromToken)
    {
        if (_depth == MaxDepth)
        {
            GiveUp("nesting deeper than the limit");
            return;
        }

        if (_depth == _stack.Length)
        {
            Array.Resize(ref _stack, _stack.Length * 2);
        }

        // An ordinary element's name is where the token has it; a known tag's is the tag's own.
        var node = tag is null
            ? new Node(HtmlNodeKind.ElementStart, null, _tokenizer.Start, _tokenizer.End, fromToken)
            : new Node(HtmlNodeKind.ElementStart, tag, 0, 0, fromToken);
        _stack[_depth++] = new OpenElement(tag, node.Start, node.End, tag?.Flags ?? HtmlTagFlags.None);
        Count(tag, 1);
        Enqueue(node);
    }

    private void Pop()
    {
        _depth--;
        Count(_stack[_depth].Tag, -1);
        Enqueue(new Node(HtmlNodeKind.ElementEnd, _stack[_depth].Tag, 0, 0, hasAttributes: false));
    }

    private void Count(HtmlTag? tag, int change)
    {
        if (tag is null)
        {
            return;
        }

        if (tag.End == HtmlEndRule.Paragraph)
        {
            _openParagraphs += change;
        }
        else if ((tag.Flags & HtmlTagFlags.Formatting) != 0)
        {
            _openFormatting += change;
        }
    }

    // Closes the elements open inside the one at index, and it. A formatting element closed this way would stay in the
    // parser's list of formatting elements and be reopened (cloned) by later content; a marker would stay in that list.
    private void PopThrough(int index)
    {
        for (var i = _depth - 1; i > index; i--)
        {
            if ((_stack[i].Flags & (HtmlTagFlags.Formatting | HtmlTagFlags.Marker)) != 0)
            {
                GiveUp("a formatting element closed implicitly");
                return;
            }
        }

        while (_depth > index)
        {
            Pop();
        }
    }

    private void PopAll()
    {
        while (_depth > 0)
        {
            Pop();
        }

        _done = true;
    }

    private void Enqueue(in Node node)
    {
        if (_queueHead + _queueCount == _queue.Length)
        {
            if (_queueHead > 0)
            {
                Array.Copy(_queue, _queueHead, _queue, 0, _queueCount);
                _queueHead = 0;
            }
            else
            {
                Array.Resize(ref _queue, _queue.Length * 2);
            }
        }

        _queue[_queueHead + _queueCount++] = node;
    }

    private void GiveUp(string reason)
    {
        GiveUpReason ??= $"{reason}, at byte {_tokenizer.Start}";
        GaveUp = true;
        _queueHead = _queueCount = 0;
    }

    // An ordinary element's name is at NameStart..NameEnd in the document. Flags are tested with '&', not HasFlag, which
    // boxes in code the JIT has not optimised yet: a single big page is read before that happens.
    private readonly record struct OpenElement(HtmlTag? Tag, int NameStart, int NameEnd, HtmlTagFlags Flags);

    private readonly struct Node
    {
        public Node(HtmlNodeKind kind)
        {
            Kind = kind;
        }

        public Node(HtmlNodeKind kind, HtmlTag? tag, int start, int end, bool hasAttributes)
        {
            Kind = kind;
            Tag = tag;
            Start = start;
            End = end;
            HasAttributes = hasAttributes;
        }

        public HtmlNodeKind Kind { get; }

        public HtmlTag? Tag { get; }

        public int Start { get; }

        public int End { get; }

        public bool HasAttributes { get; }
    }
}
