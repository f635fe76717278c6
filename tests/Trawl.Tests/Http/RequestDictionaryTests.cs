using Trawl.Http;

namespace Trawl.Tests.Http;

/// <summary>Headers and meta are created on first use; a request without them behaves as one with empty ones.</summary>
public sealed class RequestDictionaryTests
{
    [Fact]
    public void RequestWithoutHeadersOrMeta_RoundTrips_AndItsDictionariesAcceptWrites()
    {
        var request = new Request("https://example.com/a");
        request.HasHeaders.ShouldBeFalse();
        request.HasMeta.ShouldBeFalse();
        request.TryGetMeta("x", out _).ShouldBeFalse();

        var json = System.Text.Encoding.UTF8.GetString(RequestJson.Serialize(request));
        var restored = RequestJson.Deserialize(RequestJson.Serialize(request));

        json.ShouldBe("""{"url":"https://example.com/a"}""");
        restored.Headers.ShouldBeEmpty();
        restored.Meta.ShouldBeEmpty();
        restored.Headers["Accept"] = "text/plain";
        restored.Meta["page"] = 2;
        restored.HasHeaders.ShouldBeTrue();
        restored.GetMeta<int>("page").ShouldBe(2);
        restored.WithUrl(new Uri("https://example.com/b")).Headers["accept"].ShouldBe("text/plain");
    }

    [Fact]
    public void CopiesOfARequest_DoNotShareItsDictionaries()
    {
        var request = new Request("https://example.com/a") { Meta = { ["k"] = 1 } };
        var copy = request.WithUrl(new Uri("https://example.com/b"));

        copy.Meta["k"] = 2;
        copy.Headers["X"] = "y";

        request.GetMeta<int>("k").ShouldBe(1);
        request.HasHeaders.ShouldBeFalse();
    }
}
