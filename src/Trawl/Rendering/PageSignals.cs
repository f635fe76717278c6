using System.Text;
using Trawl.Html;
using Trawl.Http;

namespace Trawl.Rendering;

/// <summary>What a page's HTML says about itself, read by tokenizing it (never by building a document): its scripts, its
/// visible text and its links.</summary>
/// <param name="Scripts">The <c>script</c> elements.</param>
/// <param name="Text">Characters of visible text, whitespace not counted (the text of <c>script</c>, <c>style</c>,
/// <c>title</c>, <c>noscript</c> and <c>template</c> is not visible).</param>
/// <param name="Links">The <c>a</c> elements with an <c>href</c>.</param>
internal readonly record struct PageSignals(int Scripts, int Text, int Links)
{
    /// <summary>Below this much visible text, a page with a script is taken for an app shell.</summary>
    public const int ShellTextLimit = 200;

    /// <summary>
    /// Whether a plain page looks like an application shell that its scripts fill in: an HTML page with at least one
    /// script and under <see cref="ShellTextLimit"/> characters of visible text. A page that is not HTML, or not a
    /// success, never does.
    /// </summary>
    public bool LooksLikeAppShell => Scripts > 0 && Text < ShellTextLimit;

    /// <summary>Reads the signals of an HTML response; all zero for any other.</summary>
    public static PageSignals Of(Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!response.IsHtml || response.Status is < 200 or >= 300)
        {
            return default;
        }

        int scripts = 0, text = 0, links = 0, hidden = 0;
        using var utf8 = response.HtmlUtf8();
        var tokens = new HtmlTokenizer(utf8.Span);
        try
        {
            while (true)
            {
                switch (tokens.Next())
                {
                    case HtmlTokenKind.EndOfFile or HtmlTokenKind.Unsupported:
                        // Markup the tokenizer does not model ends the reading; what was read stands.
                        return new PageSignals(scripts, text, links);
                    case HtmlTokenKind.StartTag:
                        var name = tokens.Name;
                        if (HtmlTokenizer.NameEquals(name, "script"))
                        {
                            scripts++;
                        }
                        else if (HtmlTokenizer.NameEquals(name, "a") && tokens.FindAttribute("href") >= 0)
                        {
                            links++;
                        }
                        else if (HtmlTokenizer.NameEquals(name, "noscript") || HtmlTokenizer.NameEquals(name, "template"))
                        {
                            hidden++;
                        }

                        break;
                    case HtmlTokenKind.EndTag when hidden > 0 && (HtmlTokenizer.NameEquals(tokens.Name, "noscript") || HtmlTokenizer.NameEquals(tokens.Name, "template")):
                        hidden--;
                        break;
                    case HtmlTokenKind.Text when hidden == 0 && tokens.TextKind == HtmlTextKind.Data:
                        // Characters as the decoded text counts them (UTF-16 code units), whitespace left out.
                        var raw = tokens.RawText;
                        text += Encoding.UTF8.GetCharCount(raw);
                        foreach (var b in raw)
                        {
                            if (HtmlTokenizer.IsSpace(b))
                            {
                                text--;
                            }
                        }

                        break;
                }
            }
        }
        finally
        {
            tokens.Dispose();
        }
    }

    /// <summary>
    /// Whether rendering a page gave something its plain version lacks: more links, or clearly more text (half as much
    /// again, and at least 50 characters more).
    /// </summary>
    public static bool Improves(PageSignals plain, PageSignals rendered) =>
        rendered.Links > plain.Links || rendered.Text > plain.Text + Math.Max(50, plain.Text / 2);
}
