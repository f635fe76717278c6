using System.Collections.Frozen;
using System.Text;

namespace Trawl.Html;

/// <summary>The categories of the HTML standard's tree builder an element belongs to, as the parser assigns them.</summary>
[Flags]
internal enum HtmlTagFlags : byte
{
    /// <summary>An ordinary element.</summary>
    None = 0,

    /// <summary>The "special" category: end tags of other elements do not close it implicitly.</summary>
    Special = 1,

    /// <summary>Bounds the default scope ("has an element in scope").</summary>
    Scope = 2,

    /// <summary>Bounds list item scope too (<c>ol</c>, <c>ul</c>).</summary>
    ListScope = 4,

    /// <summary>Closed by "generate implied end tags" (<c>p</c>, <c>li</c>, <c>dd</c>, <c>dt</c> …).</summary>
    ImpliedEnd = 8,

    /// <summary>A formatting element, tracked in the list of active formatting elements.</summary>
    Formatting = 16,

    /// <summary>Puts a marker in the list of active formatting elements (<c>applet</c>, <c>marquee</c>, <c>object</c>).</summary>
    Marker = 32,
}

/// <summary>What the "in body" insertion mode does with an element's start tag.</summary>
internal enum HtmlStartRule : byte
{
    /// <summary>Inserted where it is.</summary>
    Ordinary,

    /// <summary>Closes an open <c>p</c> in button scope first (<c>div</c>, <c>ul</c>, <c>section</c> …).</summary>
    ClosesParagraph,

    /// <summary><c>a</c>: an open <c>a</c> would be closed by the adoption agency.</summary>
    Anchor,

    /// <summary>A formatting element.</summary>
    Formatting,

    /// <summary><c>nobr</c>: a formatting element that closes an open <c>nobr</c>.</summary>
    NoBreak,

    /// <summary><c>li</c>: closes an open <c>li</c>.</summary>
    ListItem,

    /// <summary><c>dd</c>, <c>dt</c>: close an open <c>dd</c> or <c>dt</c>.</summary>
    DefinitionItem,

    /// <summary><c>h1</c>–<c>h6</c>: close an open <c>p</c>, and a heading that is the current node.</summary>
    Heading,

    /// <summary>A void element: inserted and closed at once.</summary>
    Void,

    /// <summary><c>hr</c>: closes an open <c>p</c>, then is void.</summary>
    ClosesParagraphVoid,

    /// <summary><c>pre</c>, <c>listing</c>: close an open <c>p</c>; a newline right after the tag is dropped.</summary>
    Preformatted,

    /// <summary><c>form</c>: closes an open <c>p</c>; ignored inside another form.</summary>
    Form,

    /// <summary><c>button</c>: closes an open <c>button</c>.</summary>
    Button,

    /// <summary><c>applet</c>, <c>marquee</c>, <c>object</c>.</summary>
    Marker,

    /// <summary>An element whose contents are text (<c>script</c>, <c>style</c>, <c>title</c> …).</summary>
    RawText,

    /// <summary><c>xmp</c>: closes an open <c>p</c>, then its contents are text.</summary>
    ClosesParagraphRawText,

    /// <summary><c>textarea</c>: its contents are text, and a newline right after the tag is dropped.</summary>
    TextArea,

    /// <summary>Ignored in body (<c>head</c>, and table parts outside a table).</summary>
    Ignored,

    /// <summary>Something the tree builder moves, drops, merges or parses differently: not modelled.</summary>
    Unsupported,
}

/// <summary>What the "in body" insertion mode does with an element's end tag.</summary>
internal enum HtmlEndRule : byte
{
    /// <summary>"Any other end tag": closes the element if no special element is open inside it.</summary>
    Other,

    /// <summary>A block (<c>div</c>, <c>ul</c>, <c>section</c> …): closes it if in scope, with implied end tags.</summary>
    Block,

    /// <summary>A formatting element: the adoption agency algorithm.</summary>
    Formatting,

    /// <summary><c>li</c>.</summary>
    ListItem,

    /// <summary><c>p</c>: without an open <c>p</c>, an empty one is inserted.</summary>
    Paragraph,

    /// <summary><c>form</c>.</summary>
    Form,

    /// <summary><c>h1</c>–<c>h6</c>: closes any open heading.</summary>
    Heading,

    /// <summary><c>dd</c>, <c>dt</c>.</summary>
    DefinitionItem,

    /// <summary><c>applet</c>, <c>marquee</c>, <c>object</c>.</summary>
    Marker,

    /// <summary><c>body</c>.</summary>
    Body,

    /// <summary><c>html</c>.</summary>
    Html,

    /// <summary><c>br</c>: the end tag inserts a <c>br</c> element.</summary>
    Break,

    /// <summary>Not modelled (<c>template</c>).</summary>
    Unsupported,
}

/// <summary>
/// What the tree builder of the parser every response uses (AngleSharp) does with an element it knows by name. Any
/// other name is an ordinary element (<see cref="HtmlStartRule.Ordinary"/>, <see cref="HtmlEndRule.Other"/>, no flags).
/// </summary>
/// <remarks>
/// The rules follow the parser's "in body" insertion mode and the flags its element classes carry, which differ from
/// the standard in places (<c>time</c> and <c>output</c> are special there, <c>search</c> is not); a test compares the
/// flags with the parser's own.
/// </remarks>
internal sealed class HtmlTag
{
    private static readonly FrozenDictionary<string, HtmlTag> ByName = CreateAll().ToFrozenDictionary(tag => tag.Name, StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, HtmlTag>.AlternateLookup<ReadOnlySpan<char>> ByNameSpan = ByName.GetAlternateLookup<ReadOnlySpan<char>>();
    private static readonly int LongestName = ByName.Keys.Max(name => name.Length);

    private readonly byte[] _utf8Name;

    private HtmlTag(string name, HtmlTagFlags flags, HtmlStartRule start, HtmlEndRule end)
    {
        Name = name;
        _utf8Name = Encoding.UTF8.GetBytes(name);
        Flags = flags;
        Start = start;
        End = end;
    }

    /// <summary>The tag name, in lower case.</summary>
    public string Name { get; }

    /// <summary>The tag name, in lower case, in UTF-8.</summary>
    public ReadOnlySpan<byte> Utf8Name => _utf8Name;

    /// <summary>The categories the element belongs to.</summary>
    public HtmlTagFlags Flags { get; }

    /// <summary>What a start tag does in body.</summary>
    public HtmlStartRule Start { get; }

    /// <summary>What an end tag does in body.</summary>
    public HtmlEndRule End { get; }

    /// <summary>The <c>html</c> element.</summary>
    public static HtmlTag Html { get; } = ByName["html"];

    /// <summary>The <c>head</c> element.</summary>
    public static HtmlTag Head { get; } = ByName["head"];

    /// <summary>The <c>body</c> element.</summary>
    public static HtmlTag Body { get; } = ByName["body"];

    /// <summary>Every tag with rules of its own.</summary>
    public static IEnumerable<HtmlTag> All => ByName.Values;

    /// <summary>Finds a tag by its name as written, in UTF-8; <see langword="null"/> for an ordinary element.</summary>
    public static HtmlTag? Find(ReadOnlySpan<byte> name)
    {
        if (name.Length > LongestName)
        {
            return null;
        }

        Span<char> lower = stackalloc char[name.Length];
        for (var i = 0; i < name.Length; i++)
        {
            var b = name[i];
            if (b > 0x7F)
            {
                return null;
            }

            lower[i] = char.ToLowerInvariant((char)b);
        }

        return ByNameSpan.TryGetValue(lower, out var tag) ? tag : null;
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static IEnumerable<HtmlTag> CreateAll()
    {
        const HtmlTagFlags S = HtmlTagFlags.Special;
        const HtmlTagFlags None = HtmlTagFlags.None;
        const HtmlTagFlags Formatting = HtmlTagFlags.Formatting;
        const HtmlTagFlags Implied = HtmlTagFlags.ImpliedEnd;

        foreach (var name in (string[])["address", "article", "aside", "blockquote", "center", "details", "dir", "div", "dl", "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol", "section", "summary", "ul"])
        {
            yield return new(name, name is "ol" or "ul" ? S | HtmlTagFlags.ListScope : S, HtmlStartRule.ClosesParagraph, HtmlEndRule.Block);
        }

        yield return new("dialog", None, HtmlStartRule.ClosesParagraph, HtmlEndRule.Block);
        yield return new("p", S | Implied, HtmlStartRule.ClosesParagraph, HtmlEndRule.Paragraph);
        yield return new("a", Formatting, HtmlStartRule.Anchor, HtmlEndRule.Formatting);
        foreach (var name in (string[])["b", "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u"])
        {
            yield return new(name, Formatting, HtmlStartRule.Formatting, HtmlEndRule.Formatting);
        }

        yield return new("nobr", Formatting, HtmlStartRule.NoBreak, HtmlEndRule.Formatting);
        yield return new("li", S | Implied, HtmlStartRule.ListItem, HtmlEndRule.ListItem);
        yield return new("dd", S | Implied, HtmlStartRule.DefinitionItem, HtmlEndRule.DefinitionItem);
        yield return new("dt", S | Implied, HtmlStartRule.DefinitionItem, HtmlEndRule.DefinitionItem);
        foreach (var name in (string[])["h1", "h2", "h3", "h4", "h5", "h6"])
        {
            yield return new(name, S, HtmlStartRule.Heading, HtmlEndRule.Heading);
        }

        foreach (var name in (string[])["area", "br", "embed", "img", "input", "keygen", "menuitem", "param", "source", "track", "wbr", "base", "basefont", "bgsound", "link", "meta"])
        {
            yield return new(name, S, HtmlStartRule.Void, name == "br" ? HtmlEndRule.Break : HtmlEndRule.Other);
        }

        yield return new("hr", S, HtmlStartRule.ClosesParagraphVoid, HtmlEndRule.Other);
        yield return new("pre", S, HtmlStartRule.Preformatted, HtmlEndRule.Block);
        yield return new("listing", S, HtmlStartRule.Preformatted, HtmlEndRule.Block);
        yield return new("form", S, HtmlStartRule.Form, HtmlEndRule.Form);
        yield return new("button", S, HtmlStartRule.Button, HtmlEndRule.Block);
        foreach (var name in (string[])["applet", "marquee", "object"])
        {
            yield return new(name, S | HtmlTagFlags.Scope | HtmlTagFlags.Marker, HtmlStartRule.Marker, HtmlEndRule.Marker);
        }

        foreach (var name in (string[])["script", "style", "title", "noframes", "iframe", "noembed"])
        {
            yield return new(name, S, HtmlStartRule.RawText, HtmlEndRule.Other);
        }

        yield return new("xmp", S, HtmlStartRule.ClosesParagraphRawText, HtmlEndRule.Other);
        yield return new("textarea", S, HtmlStartRule.TextArea, HtmlEndRule.Other);

        // Ordinary start and end tags, but special: other end tags stop at them.
        yield return new("noscript", S, HtmlStartRule.Ordinary, HtmlEndRule.Other);
        yield return new("output", S, HtmlStartRule.Ordinary, HtmlEndRule.Other);
        yield return new("time", S, HtmlStartRule.Ordinary, HtmlEndRule.Other);

        yield return new("html", S | HtmlTagFlags.Scope, HtmlStartRule.Unsupported, HtmlEndRule.Html);
        yield return new("head", S, HtmlStartRule.Ignored, HtmlEndRule.Other);
        yield return new("body", S, HtmlStartRule.Unsupported, HtmlEndRule.Body);
        yield return new("template", S | HtmlTagFlags.Scope, HtmlStartRule.Unsupported, HtmlEndRule.Unsupported);

        // Tables, forms' lists, ruby, foreign content, frames and the rest the tree builder moves, drops or
        // reinterprets.
        foreach (var (name, flags) in ((string, HtmlTagFlags)[])[
            ("caption", S | HtmlTagFlags.Scope), ("td", S | HtmlTagFlags.Scope), ("th", S | HtmlTagFlags.Scope), ("tbody", S), ("thead", S),
            ("tfoot", S), ("tr", S), ("col", S), ("colgroup", S), ("frame", S)])
        {
            // Outside a table (which is not modelled) these start tags are ignored, and their end tags close nothing.
            yield return new(name, flags, HtmlStartRule.Ignored, HtmlEndRule.Other);
        }

        foreach (var (name, flags) in ((string, HtmlTagFlags)[])[
            ("table", S | HtmlTagFlags.Scope), ("select", S), ("option", Implied), ("optgroup", Implied), ("rb", Implied), ("rp", Implied), ("rt", Implied), ("rtc", Implied),
            ("frameset", S), ("plaintext", S), ("isindex", S), ("image", None), ("math", None), ("svg", None)])
        {
            yield return new(name, flags, HtmlStartRule.Unsupported, HtmlEndRule.Unsupported);
        }
    }
}
