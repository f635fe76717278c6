using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Trawl.Selectors;

namespace Trawl.Benchmarks;

/// <summary>
/// Three fields per page (issue 12): evaluated while tokenizing (<c>Response.TryExtract</c> on a page nothing has
/// parsed) against the same fields read from the parsed document. Each row starts from the response's bytes: the
/// streamed rows tokenize a UTF-8 page from its bytes, never decoding it, and the DOM rows include decoding the body;
/// "+ links" adds the declarative spider's link extraction (the tokenizing fast path when the page was not parsed). The Ratio column compares each streamed row with the DOM row of its page size.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class FieldBenchmarks
{
    private static readonly FieldPlan Plan = FieldPlan.FirstMatches("title::text", "h1::text", "div.quote small.author::text");

    [Benchmark(Description = "3 fields streamed, 4 KB page")]
    [BenchmarkCategory("4 KB")]
    public int StreamedSmall() => Streamed(Pages.Small);

    [Benchmark(Description = "3 fields via the DOM, 4 KB page", Baseline = true)]
    [BenchmarkCategory("4 KB")]
    public int DomSmall() => ViaDom(Pages.Small);

    [Benchmark(Description = "3 fields streamed, 200 KB page")]
    [BenchmarkCategory("200 KB")]
    public int StreamedLarge() => Streamed(Pages.Large);

    [Benchmark(Description = "3 fields via the DOM, 200 KB page", Baseline = true)]
    [BenchmarkCategory("200 KB")]
    public int DomLarge() => ViaDom(Pages.Large);

    [Benchmark(Description = "3 fields + links streamed, 4 KB page")]
    [BenchmarkCategory("4 KB + links")]
    public int StreamedWithLinksSmall() => StreamedWithLinks(Pages.Small);

    [Benchmark(Description = "3 fields + links via the DOM, 4 KB page", Baseline = true)]
    [BenchmarkCategory("4 KB + links")]
    public int DomWithLinksSmall() => ViaDomWithLinks(Pages.Small);

    [Benchmark(Description = "3 fields streamed, 10 MB page")]
    [BenchmarkCategory("10 MB")]
    public int StreamedHuge() => Streamed(Pages.Huge);

    [Benchmark(Description = "3 fields + links streamed, 10 MB page")]
    [BenchmarkCategory("10 MB + links")]
    public int StreamedWithLinksHuge() => StreamedWithLinks(Pages.Huge);

    [Benchmark(Description = "3 fields + links via the DOM, 10 MB page", Baseline = true)]
    [BenchmarkCategory("10 MB + links")]
    public int DomWithLinksHuge() => ViaDomWithLinks(Pages.Huge);

    private static int Streamed(byte[] page)
    {
        var response = Pages.ResponseFor(page);
        if (!response.TryExtract(Plan, out var values) || !values.Streamed)
        {
            throw new InvalidOperationException("The benchmark page did not stream.");
        }

        return Length(values);
    }

    private static int ViaDom(byte[] page) => Length(Plan.Select(Pages.ResponseFor(page).Document));

    private static int StreamedWithLinks(byte[] page)
    {
        var response = Pages.ResponseFor(page);
        _ = response.TryExtract(Plan, out var values);
        return Length(values!) + response.Links().Count;
    }

    private static int ViaDomWithLinks(byte[] page)
    {
        var response = Pages.ResponseFor(page);
        return Length(Plan.Select(response.Document)) + response.Links().Count;
    }

    private static int Length(FieldValues values)
    {
        var length = 0;
        for (var i = 0; i < values.Count; i++)
        {
            length += values[i]?.Length ?? 0;
        }

        return length;
    }
}
