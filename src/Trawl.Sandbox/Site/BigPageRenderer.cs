using System.Buffers;
using System.Globalization;
using System.Text;

namespace Trawl.Sandbox.Site;

/// <summary>
/// Renders the big synthetic pages (<see cref="SandboxOptions.BigPages"/>): what every synthetic page has (title,
/// <c>h1</c>, link list), then a documentation-like body to the page's size: a table of contents, sections with
/// headings, paragraphs of text with inline markup and links to other pages, lists (some nested), notes, code blocks
/// and subsections. Written straight into UTF-8 bytes, so a 10 MB page costs the server one buffer.
/// </summary>
internal static class BigPageRenderer
{
    // About how many bytes a section takes, so that the table of contents grows with the page.
    private const int SectionSize = 16 * 1024;

    // No block is longer than this, so a section ends close to its share of the page.
    private const int LongestBlock = 4 * 1024;

    private const string Tail = "</p>\n</div>\n</body>\n</html>\n";

    /// <summary>The size, in bytes and without base URLs, that big page <paramref name="index"/> is rendered to.</summary>
    public static int SizeOf(SiteModel site, int index)
    {
        var random = new SplitMix64(site.Options.Seed, RandomStreams.BigPage, index);
        return DrawSize(site.Options, ref random);
    }

    /// <summary>Renders big page <paramref name="index"/>; <paramref name="baseUrl"/> (ending in <c>/</c>) starts absolute links.</summary>
    public static PooledBytes Page(SiteModel site, int index, string baseUrl)
    {
        var random = new SplitMix64(site.Options.Seed, RandomStreams.BigPage, index);
        var size = DrawSize(site.Options, ref random);
        var top = Html.RentBuilder();
        int baseUrlBytes;
        var writer = new ByteWriter(size + (LongestBlock * 2) + 1024);
        try
        {
            baseUrlBytes = PageRenderer.AppendTop(top, site, index, baseUrl);
            writer.AppendUtf8(top);
        }
        finally
        {
            Html.Return(top);
        }

        try
        {
            // The size budget leaves the base URLs of absolute links out, as for the other pages.
            var target = size + baseUrlBytes;
            var sections = Math.Max(1, size / SectionSize);
            var bodyStart = writer.Length;
            writer.Append("<div class=\"doc\">\n<nav class=\"toc\">\n<ol>\n");
            for (var s = 1; s <= sections; s++)
            {
                writer.Append("<li><a href=\"#s-").Append(s).Append("\">Section ").Append(s).Append("</a></li>\n");
            }

            writer.Append("</ol>\n</nav>\n");
            var room = target - bodyStart - Tail.Length - 32;
            for (var s = 1; s <= sections; s++)
            {
                var sectionEnd = bodyStart + (int)((long)room * s / sections);
                writer.Append("<section id=\"s-").Append(s).Append("\">\n<h2>Section ").Append(s).Append(": ");
                Words(writer, ref random, 2 + random.NextInt(3));
                writer.Append("</h2>\n");
                while (writer.Length + LongestBlock < sectionEnd)
                {
                    Block(writer, ref random, site.Pages);
                }

                writer.Append("</section>\n");
            }

            writer.Append("<p class=\"content\">");
            var filler = target - writer.Length - Tail.Length;
            var first = true;
            while (true)
            {
                var word = PageRenderer.Words[random.NextInt(PageRenderer.Words.Length)];
                var needed = first ? word.Length : word.Length + 1;
                if (needed > filler)
                {
                    break;
                }

                if (!first)
                {
                    writer.Append(' ');
                }

                writer.Append(word);
                filler -= needed;
                first = false;
            }

            writer.Append(Tail);
            return writer.Detach();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private static int DrawSize(SandboxOptions options, ref SplitMix64 random) =>
        options.BigPageMinSize + random.NextInt(options.BigPageMaxSize - options.BigPageMinSize + 1);

    private static void Block(ByteWriter writer, ref SplitMix64 random, int pages)
    {
        var roll = random.NextInt(20);
        switch (roll)
        {
            case < 10:
                Paragraph(writer, ref random, pages);
                break;
            case < 13:
                List(writer, ref random, pages, nested: random.NextInt(4) == 0);
                break;
            case < 15:
                writer.Append("<div class=\"note\">\n<p class=\"note-title\">Note</p>\n");
                Paragraph(writer, ref random, pages);
                writer.Append("</div>\n");
                break;
            case < 17:
                Code(writer, ref random);
                break;
            default:
                writer.Append("<div class=\"sub\">\n<h3>");
                Words(writer, ref random, 2 + random.NextInt(4));
                writer.Append("</h3>\n");
                Paragraph(writer, ref random, pages);
                Paragraph(writer, ref random, pages);
                writer.Append("</div>\n");
                break;
        }
    }

    // A paragraph of 30-120 words with inline markup; one in three holds a link to another synthetic page.
    private static void Paragraph(ByteWriter writer, ref SplitMix64 random, int pages)
    {
        writer.Append("<p>");
        var words = 30 + random.NextInt(91);
        var linkAt = random.NextInt(3) == 0 ? random.NextInt(words) : -1;
        for (var w = 0; w < words; w++)
        {
            if (w > 0)
            {
                writer.Append(' ');
            }

            var word = PageRenderer.Words[random.NextInt(PageRenderer.Words.Length)];
            if (w == linkAt)
            {
                writer.Append("<a href=\"/pages/").Append(random.NextInt(pages)).Append("\">").Append(word).Append("</a>");
                continue;
            }

            switch (random.NextInt(60))
            {
                case 0:
                    writer.Append("<em>").Append(word).Append("</em>");
                    break;
                case 1:
                    writer.Append("<strong>").Append(word).Append("</strong>");
                    break;
                case 2:
                    writer.Append("<code>").Append(word).Append("()</code>");
                    break;
                case 3:
                    writer.Append(word).Append(" &amp;");
                    break;
                default:
                    writer.Append(word);
                    break;
            }
        }

        writer.Append("</p>\n");
    }

    private static void List(ByteWriter writer, ref SplitMix64 random, int pages, bool nested)
    {
        writer.Append("<ul>\n");
        var items = 3 + random.NextInt(6);
        var nestAt = nested ? random.NextInt(items) : -1;
        for (var i = 0; i < items; i++)
        {
            writer.Append("<li>");
            if (random.NextInt(4) == 0)
            {
                writer.Append("<a href=\"/pages/").Append(random.NextInt(pages)).Append("\">");
                Words(writer, ref random, 1 + random.NextInt(3));
                writer.Append("</a> ");
            }

            Words(writer, ref random, 3 + random.NextInt(10));
            if (i == nestAt)
            {
                writer.Append('\n');
                List(writer, ref random, pages, nested: false);
            }

            writer.Append("</li>\n");
        }

        writer.Append("</ul>\n");
    }

    private static void Code(ByteWriter writer, ref SplitMix64 random)
    {
        writer.Append("<pre><code class=\"language-c\">");
        var lines = 3 + random.NextInt(10);
        for (var i = 0; i < lines; i++)
        {
            var name = PageRenderer.Words[random.NextInt(PageRenderer.Words.Length)];
            var argument = PageRenderer.Words[random.NextInt(PageRenderer.Words.Length)];
            if (random.NextInt(3) == 0)
            {
                writer.Append("if (").Append(argument).Append(" &lt; ").Append(random.NextInt(1000)).Append(") { ").Append(name).Append("(); }\n");
            }
            else
            {
                writer.Append(name).Append('(').Append(argument).Append(", ").Append(random.NextInt(1000)).Append(");\n");
            }
        }

        writer.Append("</code></pre>\n");
    }

    private static void Words(ByteWriter writer, ref SplitMix64 random, int count)
    {
        for (var w = 0; w < count; w++)
        {
            if (w > 0)
            {
                writer.Append(' ');
            }

            writer.Append(PageRenderer.Words[random.NextInt(PageRenderer.Words.Length)]);
        }
    }

    /// <summary>Bytes appended to a buffer rented from <see cref="ArrayPool{T}.Shared"/>; ASCII text and numbers.</summary>
    private sealed class ByteWriter(int capacity) : IDisposable
    {
        private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(capacity);

        public int Length { get; private set; }

        public ByteWriter Append(string ascii)
        {
            var buffer = Room(ascii.Length);
            for (var i = 0; i < ascii.Length; i++)
            {
                buffer[Length + i] = (byte)ascii[i];
            }

            Length += ascii.Length;
            return this;
        }

        public ByteWriter Append(char ascii)
        {
            Room(1)[Length++] = (byte)ascii;
            return this;
        }

        public ByteWriter Append(int value)
        {
            value.TryFormat(Room(11).AsSpan(Length), out var written, default, CultureInfo.InvariantCulture);
            Length += written;
            return this;
        }

        public void AppendUtf8(StringBuilder text)
        {
            foreach (var chunk in text.GetChunks())
            {
                var buffer = Room(Encoding.UTF8.GetMaxByteCount(chunk.Length));
                Length += Encoding.UTF8.GetBytes(chunk.Span, buffer.AsSpan(Length));
            }
        }

        /// <summary>Hands the buffer over: the writer is empty afterwards.</summary>
        public PooledBytes Detach()
        {
            var bytes = new PooledBytes(_buffer!, Length);
            _buffer = null;
            return bytes;
        }

        public void Dispose()
        {
            if (_buffer is { } buffer)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private byte[] Room(int count)
        {
            var buffer = _buffer!;
            if (Length + count <= buffer.Length)
            {
                return buffer;
            }

            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, Length + count));
            buffer.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = larger;
            return larger;
        }
    }
}
