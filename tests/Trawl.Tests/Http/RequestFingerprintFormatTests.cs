using System.Security.Cryptography;
using System.Text;
using Trawl.Http;

namespace Trawl.Tests.Http;

/// <summary>The fingerprint's exact form is stored in job directories and Redis, so it must never drift.</summary>
public sealed class RequestFingerprintFormatTests
{
    [Theory]
    [InlineData("get", "http://Example.COM:80/a?b=2&a=1#frag", "", "GET\nhttp://example.com/a?a=1&b=2\n")]
    [InlineData("POST", "https://example.com/form", "q=1", "POST\nhttps://example.com/form\nq=1")]
    [InlineData("GET", "http://example.com/caf%C3%A9?x=%7e", "", "GET\nhttp://example.com/caf%C3%A9?x=~\n")]
    public void Fingerprint_IsSha1OfUpperMethod_CanonicalUrl_AndBody(string method, string url, string body, string hashed)
    {
        var expected = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(hashed)));

        RequestFingerprint.Compute(method, new Uri(url), Encoding.UTF8.GetBytes(body)).ToString().ShouldBe(expected);
    }

    [Fact]
    public void Fingerprint_OfALargeBody_UsesAllOfIt()
    {
        var body = new byte[100_000];
        body[^1] = 1;
        var other = new byte[100_000];

        RequestFingerprint.Compute("POST", new Uri("http://example.com/"), body)
            .ShouldNotBe(RequestFingerprint.Compute("POST", new Uri("http://example.com/"), other));
    }
}
