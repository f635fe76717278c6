using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Trawl.Http;

namespace Trawl.Benchmarks;

/// <summary>
/// CSS and the equivalent XPath on one parsed document (issue 11): the 200 KB page with 2,000 links, and a list of
/// 20,000 items, where walking siblings one by one through AngleSharp's <c>NextSibling</c> used to cost the square of
/// their number (<c>ul ::text</c> took seconds). The document is parsed once, in the setup; each row selects on it.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SelectorBenchmarks
{
    private Response _large = null!;
    private Response _list = null!;

    [GlobalSetup]
    public void Setup()
    {
        _large = Pages.ResponseFor(Pages.Large);
        _list = Pages.ResponseFor(Encoding.UTF8.GetBytes("<ul>" + string.Concat(Enumerable.Range(0, 20_000).Select(static i => $"<li><a href=/{i}>x</a></li>")) + "</ul>"));
        _ = _large.Css("title");
        _ = _list.Css("title");
        _ = _list.XPath("/");
    }

    [Benchmark(Description = "CSS a::attr(href), 200 KB page", Baseline = true)]
    [BenchmarkCategory("200 KB, links")]
    public int CssLinks() => _large.Css("a::attr(href)").Count;

    [Benchmark(Description = "XPath //a/@href, 200 KB page")]
    [BenchmarkCategory("200 KB, links")]
    public int XPathLinks() => _large.XPath("//a/@href").Count;

    [Benchmark(Description = "CSS ul ::text, 20,000 items", Baseline = true)]
    [BenchmarkCategory("20,000 items, text")]
    public int CssListText() => _list.Css("ul ::text").Count;

    [Benchmark(Description = "XPath //ul//text(), 20,000 items")]
    [BenchmarkCategory("20,000 items, text")]
    public int XPathListText() => _list.XPath("//ul//text()").Count;

    [Benchmark(Description = "XPath ./a/@href inside each of 20,000 items")]
    [BenchmarkCategory("20,000 items, nested")]
    public int XPathNested()
    {
        var count = 0;
        foreach (var item in _list.XPath("//li"))
        {
            count += item.XPath("./a/@href").Count;
        }

        return count;
    }
}
