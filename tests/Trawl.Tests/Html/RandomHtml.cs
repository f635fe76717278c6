using System.Globalization;
using System.Text;

namespace Trawl.Tests.Html;

/// <summary>
/// Seeded random pages made of the markup that makes tree building hard: implied and stray end tags, misnested
/// formatting, raw text, character references, tables, foreign content, odd tokens. For equivalence tests between the
/// streaming readers and the parser.
/// </summary>
internal static class RandomHtml
{
    private static readonly string[] Pieces =
    [
        // Structure and implied tags.
        "<!doctype html>", "</html>", "<head>", "</head>", "</body>", "<title>T{0} &amp; t</title>",
        "<meta charset=utf-8>", "<link rel=x href=/l{0}>", "<base href=/b/>", "<script>var s = '<b>{0}</b>';</script>", "<style>p {{ }}</style>",
        "<div>", "<div class=\"a b{0}\">", "</div>", "<p>", "<p class=p{0}>", "</p>", "<span>", "<span id=s{0}>", "</span>", "<ul>", "</ul>", "<ol>", "</ol>",
        "<li>", "<li class=i>", "</li>", "<dl>", "</dl>", "<dt>", "<dd>", "</dd>", "<h1>", "</h1>", "<h2 id=h{0}>", "</h2>", "<h3>", "</h4>",
        "<section>", "</section>", "<nav>", "</nav>", "<article>", "<address>", "</address>", "<blockquote>", "<dialog>", "<main>", "<center>",
        "<summary>", "<output>", "</output>", "<menu>", "<search>", "</search>", "<label>", "</label>", "<time datetime=2024>", "</time>",
        "<noscript>", "</noscript>", "<custom-el data-x={0}>", "</custom-el>", "<DIV CLASS=Up{0}>", "</Div>", "<p/>", "<div/>", "<x-y>", "</x-y>",
        "<form>", "</form>", "<button>", "</button>", "<pre>", "</pre>", "<listing>", "<textarea>\nx{0}</textarea>", "<xmp>x<y></xmp>",
        "<iframe>x</iframe>", "<object>", "</object>", "<hr>", "<br>", "<br/>", "<img src=/i{0} alt='a &amp; b'>", "<input type=hidden>",
        "<wbr>", "<source>",

        // Formatting elements, well and badly nested.
        "<b>", "</b>", "<i>", "</i>", "<em>", "</em>", "<strong>", "</strong>", "<code>", "<small>", "<font>", "<nobr>", "<a href=/x{0}>", "</a>",
        "<a\nhref='/y{0}?a=1&b=2'>", "<b><i>x</i></b>", "<a href=/z>z</a>",

        // Text, references and odd tokens.
        "text{0}", " ", "\n", "\r\n", "\t", "a &amp; b", "&nbsp;", "&copy;", "&#8217;", "&#x41;", "&#128;", "AT&T",
        "&lt;&gt;", "&", "&#0;", "<!-- c{0} -->", "<!---->", "<!-->", "<?pi?>", "<![CDATA[x]]>", "</3>", "</>", "</x>", "<", "< 3",
    ];

    // What the streaming readers give up on, mixed in more rarely so that most pages stay within what they model.
    private static readonly string[] Unmodelled =
    [
        "<table>", "<tr><td>c", "</table>", "<select><option>o</select>", "<svg><g/></svg>", "<math>", "<template>t</template>",
        "<frameset>", "<plaintext>", "<ruby>r<rt>t</ruby>", "<image>", "</br>", "<html data-late=1>", "<body data-late=1>",
        "&notit;", "&copy2024", "&bogus;",
    ];

    // How pages start: nothing, a partial prologue, or a whole one.
    private static readonly string[] Prologues =
    [
        "", "<!doctype html>", "<!DOCTYPE html>\n<html lang=en>\n", "<html><head><title>T &amp; x</title></head>",
        "<!doctype html><html lang=en-GB><head>\n<meta charset=utf-8>\n<title>T</title>\n<link rel=x href=/s.css>\n</head>\n<body class=\"home b\">\n",
        "<html>\r\n<head>\r\n<script>var a = 1 < 2;</script>\r\n</head>\r\n<body id=top>",
        " <!-- first --> <html><body>", "<head><style>p{}</style></head><body class=x>",
    ];

    /// <summary>Pages of up to <paramref name="maxPieces"/> random pieces, the same for the same seed.</summary>
    public static IEnumerable<string> Pages(int seed, int count, int maxPieces = 40)
    {
        var random = new Random(seed);
        for (var page = 0; page < count; page++)
        {
            var html = new StringBuilder(Prologues[random.Next(Prologues.Length)]);
            var pieces = random.Next(1, maxPieces);
            for (var i = 0; i < pieces; i++)
            {
                var piece = random.Next(50) == 0 ? Unmodelled[random.Next(Unmodelled.Length)] : Pieces[random.Next(Pieces.Length)];
                html.Append(string.Format(CultureInfo.InvariantCulture, piece, i));
            }

            yield return html.ToString();
        }
    }
}
