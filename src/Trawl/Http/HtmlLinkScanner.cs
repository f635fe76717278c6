using Trawl.Html;

namespace Trawl.Http;

/// <summary>
/// Finds the hrefs of <c>&lt;a&gt;</c> and <c>&lt;base&gt;</c> elements by tokenizing HTML as the HTML standard does
/// (<see cref="HtmlTokenizer"/>), without building a document: the fast path of <see cref="Response"/>'s default link
/// query (<c>a[href]</c>) when nothing else needs the parsed page.
/// </summary>
/// <remarks>
/// <para>Links are deduplicated by the caller, so the tree builder's repairs that only close, reopen or clone elements
/// (an <c>a</c> left open, misnested formatting) do not change the answer: every <c>a</c> start tag outside raw text
/// is an <c>a</c> element with that href, in document order.</para>
/// <para>Where the tree builder would drop, move or hide elements, or the tokenizer would need more than it models,
/// it gives up and the caller parses the page: <c>table</c> (foster parenting reorders), <c>select</c> and
/// <c>frameset</c> (anchors dropped), <c>template</c> (contents outside the document), <c>svg</c> and <c>math</c>
/// (foreign content), <c>plaintext</c>, what the tokenizer does not model (a NUL, a script holding <c>&lt;!--</c>),
/// and an href or base href with a character reference it cannot decode exactly.</para>
/// </remarks>
internal static class HtmlLinkScanner
{
    private static readonly string[] UnmodelledNames = ["table", "select", "frameset", "template", "svg", "math", "plaintext"];

    /// <summary>
    /// Scans a page's UTF-8 (<see cref="Utf8Html"/>), appending to <paramref name="hrefs"/> the href of every <c>a</c> element that has
    /// one, in document order, and returning the href of the first <c>base</c> element that has one. Returns
    /// <see langword="false"/> when the page holds something this scanner does not model; <paramref name="hrefs"/> then
    /// holds an incomplete list and must be discarded.
    /// </summary>
    public static bool TryScan(ReadOnlySpan<byte> utf8, List<string> hrefs, out string? baseHref)
    {
        baseHref = null;
        var baseSeen = false;
        var tokenizer = new HtmlTokenizer(utf8);
        try
        {
            while (true)
            {
                switch (tokenizer.Next())
                {
                    case HtmlTokenKind.EndOfFile:
                        return true;
                    case HtmlTokenKind.Unsupported:
                        return false;
                    case HtmlTokenKind.StartTag:
                        var name = tokenizer.Name;
                        var isAnchor = name.Length == 1 && name[0] is (byte)'a' or (byte)'A';
                        var isBase = !isAnchor && HtmlTokenizer.NameEquals(name, "base");
                        if (!isAnchor && !isBase)
                        {
                            if (IsUnmodelled(name))
                            {
                                return false;
                            }

                            continue;
                        }

                        if ((isBase && baseSeen) || tokenizer.FindAttribute("href") is not (>= 0 and var index))
                        {
                            continue;
                        }

                        if (!tokenizer.TryGetAttributeValue(index, out string href))
                        {
                            return false;
                        }

                        if (isAnchor)
                        {
                            hrefs.Add(href);
                        }
                        else
                        {
                            baseSeen = true;
                            baseHref = href;
                        }

                        break;
                }
            }
        }
        finally
        {
            tokenizer.Dispose();
        }
    }

    private static bool IsUnmodelled(ReadOnlySpan<byte> name)
    {
        foreach (var candidate in UnmodelledNames)
        {
            if (HtmlTokenizer.NameEquals(name, candidate))
            {
                return true;
            }
        }

        return false;
    }
}
