using Trawl.Http;

namespace Trawl.Tests.Recrawl;

public sealed class PageValidatorsTests
{
    private static Dictionary<string, IReadOnlyList<string>> Headers(params (string Name, string Value)[] headers) =>
        headers.ToDictionary(h => h.Name, h => (IReadOnlyList<string>)[h.Value], StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void From_ReadsETagAndLastModified_AndNeitherIsEmpty()
    {
        var validators = PageValidators.From(Headers(("etag", "\"a\""), ("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")));

        validators.ShouldBe(new PageValidators("\"a\"", "Thu, 01 Jan 2026 00:00:00 GMT"));
        PageValidators.From(Headers()).IsEmpty.ShouldBeTrue();
        PageValidators.From(Headers(("ETag", ""))).IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void RenewedBy_TakesWhatA304Sends_AndKeepsTheRest()
    {
        var sent = new PageValidators("\"a\"", "Thu, 01 Jan 2026 00:00:00 GMT");

        sent.RenewedBy(Headers(("ETag", "\"b\""))).ShouldBe(new PageValidators("\"b\"", "Thu, 01 Jan 2026 00:00:00 GMT"));
        sent.RenewedBy(Headers()).ShouldBe(sent);
    }

    [Fact]
    public void Conditional_AddsTheHeaders_AndKeepsTheRequest()
    {
        var request = new Request("https://example.com/a") { Callback = "ParseItem", Errback = "OnFail", Priority = 3, Depth = 2 };
        request.Headers["Accept"] = "text/html";

        var conditional = request.Conditional(new PageValidators("\"a\"", null));

        conditional.Headers["If-None-Match"].ShouldBe("\"a\"");
        conditional.Headers.ContainsKey("If-Modified-Since").ShouldBeFalse();
        conditional.Headers["Accept"].ShouldBe("text/html");
        (conditional.Callback, conditional.Errback, conditional.Priority, conditional.Depth).ShouldBe(("ParseItem", "OnFail", 3, 2));
        conditional.Fingerprint.ShouldBe(request.Fingerprint);
        request.Headers.ContainsKey("If-None-Match").ShouldBeFalse();
    }
}
