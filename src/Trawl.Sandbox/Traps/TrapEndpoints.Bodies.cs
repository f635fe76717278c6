using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http;
using Trawl.Sandbox.Site;

namespace Trawl.Sandbox.Traps;

/// <summary>Traps that misbehave in their bodies: huge, compressed, link-stuffed or in legacy encodings.</summary>
internal static partial class TrapEndpoints
{
    /// <summary>How many bytes <c>/trap/gzip-bomb</c> inflates to.</summary>
    internal const long GzipBombInflatedSize = 1L << 30;

    private const int MiB = 1 << 20;

    private static readonly System.Buffers.SearchValues<char> LabelCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:");

    // Compressing 1 GiB takes a moment, so it is done once per process, on first use.
    private static readonly Lazy<byte[]> GzipBomb = new(BuildGzipBomb);

    internal static byte[] GzipBombBytes => GzipBomb.Value;

    /// <summary>
    /// <c>/trap/large?mb=N</c>: streams exactly N MiB (default 1, at most 4,096) of HTML filler, chunked, without a
    /// Content-Length.
    /// </summary>
    [Trap("large")]
    private static async Task Large(TrapContext trap)
    {
        if (!trap.TryQuery("mb", 0, 4096, 1, out var mb))
        {
            await trap.BadRequestAsync("mb must be between 0 and 4096").ConfigureAwait(false);
            return;
        }

        var head = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<title>Large</title>\n</head>\n<body>\n<p>"u8.ToArray();
        var tail = "</p>\n</body>\n</html>\n"u8.ToArray();
        var response = trap.Response;
        response.ContentType = "text/html; charset=utf-8";
        try
        {
            await response.StartAsync(trap.Aborted).ConfigureAwait(false);
            var total = (long)mb * MiB;
            if (total == 0)
            {
                return;
            }

            await response.Body.WriteAsync(head, trap.Aborted).ConfigureAwait(false);
            for (var left = total - head.Length - tail.Length; left > 0;)
            {
                var size = (int)Math.Min(left, FillerChunk.Length);
                await response.Body.WriteAsync(FillerChunk.AsMemory(0, size), trap.Aborted).ConfigureAwait(false);
                left -= size;
            }

            await response.Body.WriteAsync(tail, trap.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            trap.Http.Abort();
        }
    }

    /// <summary>
    /// <c>/trap/gzip-bomb</c>: about 1 MiB of gzip, sent with <c>Content-Encoding: gzip</c> and a Content-Length,
    /// that inflates to 1 GiB of zero bytes.
    /// </summary>
    [Trap("gzip-bomb")]
    private static async Task GzipBombTrap(TrapContext trap)
    {
        var body = GzipBomb.Value;
        var response = trap.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.ContentEncoding = "gzip";
        response.ContentLength = body.Length;
        try
        {
            await response.Body.WriteAsync(body, trap.Aborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            trap.Http.Abort();
        }
    }

    /// <summary>
    /// <c>/trap/links?n=N&amp;from=F&amp;compact=1</c>: a page with N links (default 100, at most 1,000,000), link <c>k</c>
    /// going to <c>/pages/{(F + k) mod Pages}</c> (F defaults to 0); streamed, without a Content-Length. Each link is a list
    /// item with its text, unless <c>compact=1</c>: then each is a bare <c>&lt;a href=K&gt;</c> against a
    /// <c>&lt;base href="/pages/"&gt;</c>, about 16 bytes, so a million distinct links fit under the downloader's 16 MiB
    /// limit on a site of a million pages.
    /// </summary>
    [Trap("links")]
    private static async Task Links(TrapContext trap)
    {
        if (!trap.TryQuery("n", 0, 1_000_000, 100, out var count)
            || !trap.TryQuery("from", 0, SandboxOptions.MaxPages, 0, out var from)
            || !trap.TryQuery("compact", 0, 1, 0, out var compact))
        {
            await trap.BadRequestAsync("n must be between 0 and 1000000, from between 0 and the most pages a site may have, compact 0 or 1").ConfigureAwait(false);
            return;
        }

        trap.Response.ContentType = "text/html; charset=utf-8";
        var pages = trap.Site.Pages;
        var html = Html.RentBuilder();
        try
        {
            var head = compact == 1 ? "<base href=\"/pages/\">\n" : string.Empty;
            html.Append(CultureInfo.InvariantCulture, $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{head}<title>{count} links</title>\n</head>\n<body>\n<ul class=\"links\">\n");
            for (var k = 0; k < count; k++)
            {
                var target = (int)((from + (long)k) % pages);
                if (compact == 1)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<a href={target}>\n");
                }
                else
                {
                    html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"/pages/{target}\">Link {k}</a></li>\n");
                }

                if (html.Length >= 32 * 1024)
                {
                    await FlushAsync(trap, html).ConfigureAwait(false);
                }
            }

            html.Append("</ul>\n</body>\n</html>\n");
            await FlushAsync(trap, html).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            trap.Http.Abort();
        }
        finally
        {
            Html.Return(html);
        }

        static async Task FlushAsync(TrapContext trap, StringBuilder html)
        {
            using var bytes = Html.Encode(html, Encoding.UTF8);
            html.Clear();
            await trap.Response.Body.WriteAsync(bytes.Memory, trap.Aborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>/trap/charset/{name}</c>: a page whose <c>p#sample</c> holds <see cref="SandboxSite.CharsetSample"/> for
    /// that charset, encoded in it. <c>?declare=header</c> (the default) names the charset only in the Content-Type
    /// header, <c>meta</c> only in <c>&lt;meta charset&gt;</c>, <c>both</c> in both, <c>none</c> nowhere.
    /// <c>?label=L</c> mislabels the page: it declares L (any token of up to 40 letters, digits and <c>-_.:</c>, known
    /// charset or not) where it would have declared the real charset; the bytes stay in the real one.
    /// </summary>
    [Trap("charset")]
    private static Task Charset(TrapContext trap)
    {
        if (trap.Argument is null || !CharsetSamples.TryGet(trap.Argument, out var name, out var text, out var encoding))
        {
            return trap.WritePageAsync(StatusCodes.Status404NotFound, "No such charset");
        }

        var declare = trap.Request.Query["declare"].ToString();
        if (declare.Length == 0)
        {
            declare = "header";
        }

        bool inHeader = declare is "header" or "both", inMeta = declare is "meta" or "both";
        if (!inHeader && !inMeta && declare != "none")
        {
            return trap.BadRequestAsync("declare must be header, meta, both or none");
        }

        var label = trap.Request.Query["label"].ToString();
        if (label.Length == 0)
        {
            label = name;
        }
        else if (label.Length > 40 || label.AsSpan().ContainsAnyExcept(LabelCharacters))
        {
            return trap.BadRequestAsync("label must be up to 40 letters, digits, '-', '_', '.' or ':'");
        }

        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html>\n<head>\n");
        if (inMeta)
        {
            html.Append("<meta charset=\"").Append(label).Append("\">\n");
        }

        html.Append("<title>Charset ").Append(name).Append("</title>\n</head>\n<body>\n<h1>Charset ").Append(name)
            .Append("</h1>\n<p id=\"sample\">").AppendEscaped(text).Append("</p>\n</body>\n</html>\n");
        PooledBytes body;
        try
        {
            body = Html.Encode(html, encoding);
        }
        finally
        {
            Html.Return(html);
        }

        return trap.WriteAsync(body, inHeader ? $"text/html; charset={label}" : "text/html");
    }

    private static byte[] BuildGzipBomb()
    {
        using var output = new MemoryStream(1100 * 1024);
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            var zeros = new byte[MiB];
            for (long written = 0; written < GzipBombInflatedSize; written += zeros.Length)
            {
                gzip.Write(zeros);
            }
        }

        return output.ToArray();
    }
}
