using BenchmarkDotNet.Attributes;

namespace Trawl.Benchmarks;

/// <summary>HTML parse plus link extraction, and selector evaluation, per page.</summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    [Benchmark(Description = "parse + links, 4 KB page")]
    public int ParseAndLinksSmall() => Pages.ResponseFor(Pages.Small).Links().Count;

    [Benchmark(Description = "parse + links, 200 KB page")]
    public int ParseAndLinksLarge() => Pages.ResponseFor(Pages.Large).Links().Count;

    [Benchmark(Description = "parse + 3 selectors, 4 KB page")]
    public int Selectors()
    {
        var response = Pages.ResponseFor(Pages.Small);
        var title = response.Css("h1::text").Get();
        var quotes = response.Css("div.quote");
        var authors = quotes.Css("small.author::text").GetAll();
        return (title?.Length ?? 0) + quotes.Count + authors.Count;
    }
}
