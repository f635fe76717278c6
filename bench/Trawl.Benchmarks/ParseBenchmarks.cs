using BenchmarkDotNet.Attributes;

namespace Trawl.Benchmarks;

/// <summary>
/// Link extraction, and selector evaluation, per page. The default link query (<c>a[href]</c>) on a page nothing else
/// has parsed takes the tokenizing fast path; "via the DOM" parses the page first, as before issue 6 (and as when a
/// spider also selects fields).
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    [Benchmark(Description = "links (fast path), 4 KB page")]
    public int LinksSmall() => Pages.ResponseFor(Pages.Small).Links().Count;

    [Benchmark(Description = "parse + links via the DOM, 4 KB page")]
    public int ParseAndLinksSmall() => ViaDom(Pages.Small);

    [Benchmark(Description = "links (fast path), 200 KB page")]
    public int LinksLarge() => Pages.ResponseFor(Pages.Large).Links().Count;

    [Benchmark(Description = "parse + links via the DOM, 200 KB page")]
    public int ParseAndLinksLarge() => ViaDom(Pages.Large);

    [Benchmark(Description = "parse + 3 selectors, 4 KB page")]
    public int Selectors()
    {
        var response = Pages.ResponseFor(Pages.Small);
        var title = response.Css("h1::text").Get();
        var quotes = response.Css("div.quote");
        var authors = quotes.Css("small.author::text").GetAll();
        return (title?.Length ?? 0) + quotes.Count + authors.Count;
    }

    private static int ViaDom(byte[] page)
    {
        var response = Pages.ResponseFor(page);
        _ = response.Document;
        return response.Links().Count;
    }
}
