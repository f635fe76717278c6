using System.Runtime.CompilerServices;
using Trawl.Http;
using Trawl.Spiders;

namespace Trawl.Samples.Quotes;

/// <summary>
/// Scrapes quotes.toscrape.com (or the sandbox site's copy of it): every quote with its author and tags, following
/// the "Next" link, plus one item per author from the author pages.
/// </summary>
public sealed class QuotesSpider : Spider
{
    public override string Name => "quotes";

    /// <summary>Where to start; set it with <c>--arg StartUrl=URL</c>.</summary>
    public string StartUrl { get; set; } = "https://quotes.toscrape.com/";

    /// <summary>Whether to visit author pages too; <c>--arg Authors=false</c> turns it off.</summary>
    public bool Authors { get; set; } = true;

    public override IEnumerable<string> StartUrls => [StartUrl];

    public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var quote in response.Css("div.quote"))
        {
            yield return new Quote(
                Text: quote.Css("span.text::text").Get(string.Empty),
                Author: quote.Css("small.author::text").Get(string.Empty),
                Tags: quote.Css("div.tags a.tag::text").GetAll());

            if (Authors && quote.Css("span a::attr(href)").Get() is { } about)
            {
                yield return response.Follow(about, ParseAuthorAsync);
            }
        }

        if (response.Css("li.next a::attr(href)").Get() is { } next)
        {
            yield return response.Follow(next, ParseAsync);
        }

    }

    private async IAsyncEnumerable<object> ParseAuthorAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new Author(
            Name: response.Css("h3.author-title::text").Get(string.Empty).Trim(),
            Born: response.Css("span.author-born-date::text").Get(),
            Bio: response.Css("div.author-description::text").Get()?.Trim());
    }
}

public sealed record Quote(string Text, string Author, IReadOnlyList<string> Tags);

public sealed record Author(string Name, string? Born, string? Bio);
