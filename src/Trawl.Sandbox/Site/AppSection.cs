using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Trawl.Sandbox.Site;

/// <summary>
/// The script-built section under <c>/app/</c>: every page is an empty shell whose script fetches its content as JSON
/// and writes the title, the text and the links into the DOM. Over plain HTTP a crawler sees only "Loading…"; in a
/// browser it sees the page. Beside it, <c>/app/login?user=NAME</c> sets a session cookie over plain HTTP,
/// <c>/app/logout</c> removes it, and <c>/app/account/</c> shows (by script) who the cookie says is signed in.
/// </summary>
internal static class AppSection
{
    public const string Prefix = "/app/";

    /// <summary>The one script every shell loads.</summary>
    public static readonly byte[] Script = Encoding.UTF8.GetBytes("""
        (async function () {
          const root = document.getElementById('app');
          const response = await fetch(root.dataset.api, { credentials: 'same-origin' });
          const data = await response.json();
          root.textContent = '';
          const title = document.createElement('h1');
          title.className = 'title';
          title.textContent = data.title;
          root.appendChild(title);
          if (data.summary) {
            const summary = document.createElement('p');
            summary.className = 'summary';
            summary.textContent = data.summary;
            root.appendChild(summary);
          }
          const list = document.createElement('ul');
          list.className = 'links';
          for (const link of data.links || []) {
            const item = document.createElement('li');
            const a = document.createElement('a');
            a.href = link.href;
            a.textContent = link.text;
            item.appendChild(a);
            list.appendChild(item);
          }
          root.appendChild(list);
        })();
        """);

    private static readonly string[] Words = ["amber", "basalt", "cobalt", "dune", "estuary", "fjord", "glacier", "heath", "isthmus", "juniper", "karst", "lagoon", "moraine", "nectar", "oasis", "prairie"];

    /// <summary>The path of item <paramref name="index"/>.</summary>
    public static string ItemPath(int index) => string.Create(CultureInfo.InvariantCulture, $"/app/item/{index}");

    /// <summary>The title of item <paramref name="index"/>, as its script writes it.</summary>
    public static string ItemTitle(int index) => string.Create(CultureInfo.InvariantCulture, $"App item {index}");

    /// <summary>The summary of item <paramref name="index"/>, as its script writes it; drawn from the seed.</summary>
    public static string ItemSummary(SiteModel site, int index)
    {
        var random = new SplitMix64(site.Options.Seed, RandomStreams.AppText, index);
        var words = new string[8];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = Words[random.NextInt(Words.Length)];
        }

        return string.Join(' ', words) + ".";
    }

    /// <summary>The pages an item links to, besides the index: the next item, one drawn from the seed, and a plain page.</summary>
    public static IEnumerable<string> ItemLinks(SiteModel site, int index)
    {
        var items = site.Options.AppPages;
        var random = new SplitMix64(site.Options.Seed, RandomStreams.AppLinks, index);
        yield return ItemPath((index + 1) % items);
        yield return ItemPath(random.NextInt(items));
        yield return PageRenderer.PagePath(index % site.Pages);
    }

    /// <summary>A shell: no content of its own, only the element its script fills from <paramref name="api"/>.</summary>
    public static PooledBytes Shell(string title, string api)
    {
        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").AppendEscaped(title).Append("</title>\n</head>\n<body>\n")
            .Append("<div id=\"app\" data-api=\"").AppendEscaped(api).Append("\">Loading…</div>\n")
            .Append("<script src=\"/app/app.js\"></script>\n</body>\n</html>\n");
        return Html.ToUtf8AndReturn(html);
    }

    /// <summary>The index's content: links to every item.</summary>
    public static byte[] IndexJson(SiteModel site)
    {
        var links = Enumerable.Range(0, site.Options.AppPages).Select(i => new { href = ItemPath(i), text = ItemTitle(i) });
        return JsonSerializer.SerializeToUtf8Bytes(new { title = "App index", links });
    }

    /// <summary>An item's content.</summary>
    public static byte[] ItemJson(SiteModel site, int index)
    {
        var links = ItemLinks(site, index).Prepend("/app/").Select(static href => new { href, text = href });
        return JsonSerializer.SerializeToUtf8Bytes(new { title = ItemTitle(index), summary = ItemSummary(site, index), links });
    }

    /// <summary>The account page's content: who the session cookie says is signed in.</summary>
    public static byte[] AccountJson(string? user) =>
        JsonSerializer.SerializeToUtf8Bytes(new { title = user is null ? "Not signed in" : $"Signed in as {user}", links = Array.Empty<object>() });

    /// <summary>The plain page <c>/app/login</c> answers with, having set the cookie (or <c>/app/logout</c>, having removed it).</summary>
    public static PooledBytes LoggedIn(string? user)
    {
        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Session</title>\n</head>\n<body>\n<h1>");
        _ = user is null ? html.Append("Signed out") : html.Append("Signed in as ").AppendEscaped(user);
        html.Append("</h1>\n<p><a href=\"/app/account/\">Your account</a></p>\n</body>\n</html>\n");
        return Html.ToUtf8AndReturn(html);
    }

    /// <summary>How many entries <c>/app/feed/</c> shows at first, and how many each scroll to the bottom adds.</summary>
    public const int FeedBatch = 5;

    /// <summary>How many batches the feed has after the first: scrolling to the bottom loads the next until they run out.</summary>
    public const int FeedMoreBatches = 3;

    /// <summary>How many extras <c>/app/feed/</c>'s "More" button adds, per click.</summary>
    public const int FeedExtras = 2;

    /// <summary>
    /// A page that grows only when used: an infinite list, whose next batch of tall <c>li.entry</c> elements a script loads
    /// (<c>/app/api/feed/N.json</c>) when the window is scrolled to the bottom, and a <c>button#more</c> whose every click
    /// adds <see cref="FeedExtras"/> <c>li.extra</c> elements. Over plain HTTP, and in a browser that only loads it, there
    /// are the first <see cref="FeedBatch"/> entries and no extra.
    /// </summary>
    public static PooledBytes Feed()
    {
        var html = Html.RentBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Feed</title>\n</head>\n<body>\n<h1>Feed</h1>\n")
            .Append("<button id=\"more\" type=\"button\">More</button>\n<ul id=\"extras\"></ul>\n<ul id=\"feed\">\n");
        for (var i = 0; i < FeedBatch; i++)
        {
            html.Append("<li class=\"entry\" style=\"height:400px\">Entry ").Append(i.ToString(CultureInfo.InvariantCulture)).Append("</li>\n");
        }

        html.Append("</ul>\n<script>\n").Append(FeedScript.Replace("MORE", FeedMoreBatches.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal).Replace("EXTRAS", FeedExtras.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)).Append("</script>\n</body>\n</html>\n");
        return Html.ToUtf8AndReturn(html);
    }

    /// <summary>The entries of batch <paramref name="batch"/> (1 to <see cref="FeedMoreBatches"/>) of the feed.</summary>
    public static byte[] FeedJson(int batch) =>
        JsonSerializer.SerializeToUtf8Bytes(new { entries = Enumerable.Range(batch * FeedBatch, FeedBatch).Select(static i => string.Create(CultureInfo.InvariantCulture, $"Entry {i}")) });

    private const string FeedScript = """
        (function () {
          let next = 1, loading = false, extras = 0;
          const feed = document.getElementById('feed');
          async function load() {
            if (loading || next > MORE) return;
            if (window.innerHeight + window.scrollY < document.documentElement.scrollHeight - 50) return;
            loading = true;
            const data = await (await fetch('/app/api/feed/' + next + '.json')).json();
            next++;
            for (const text of data.entries) {
              const li = document.createElement('li');
              li.className = 'entry';
              li.style.height = '400px';
              li.textContent = text;
              feed.appendChild(li);
            }
            loading = false;
          }
          window.addEventListener('scroll', load);
          document.getElementById('more').addEventListener('click', function () {
            for (let i = 0; i < EXTRAS; i++) {
              const li = document.createElement('li');
              li.className = 'extra';
              li.textContent = 'Extra ' + (extras++);
              document.getElementById('extras').appendChild(li);
            }
          });
        })();

        """;
}
