using Trawl.Http;

namespace Trawl.Tests.Http;

public sealed class UrlCanonicalizerTests
{
    [Theory]
    [InlineData("HTTP://Example.COM:80/a?b=2&a=1#frag", "http://example.com/a?a=1&b=2")]
    [InlineData("https://example.com:443", "https://example.com/")]
    [InlineData("https://example.com:8443/", "https://example.com:8443/")]
    [InlineData("http://example.com/%7euser/%7E", "http://example.com/~user/~")]
    [InlineData("http://example.com/caf%c3%a9?q=%c3%a9", "http://example.com/caf%C3%A9?q=%C3%A9")]
    [InlineData("http://example.com/café", "http://example.com/caf%C3%A9")]
    [InlineData("http://example.com/a%2fb", "http://example.com/a%2Fb")]
    [InlineData("http://example.com/?&&b&a=&", "http://example.com/?a=&b")]
    [InlineData("http://example.com/?q=a+b&q=a%20b", "http://example.com/?q=a%20b&q=a+b")]
    [InlineData("http://example.com/Path/", "http://example.com/Path/")]
    [InlineData("http://BÜCHER.example/", "http://xn--bcher-kva.example/")]
    [InlineData("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x")]
    [InlineData("http://[::1]/", "http://[::1]/")]
    public void Canonicalize_AppliesTheDocumentedRules(string url, string expected)
    {
        UrlCanonicalizer.Canonicalize(new Uri(url)).ShouldBe(expected);
        UrlCanonicalizer.TryCanonicalize(expected, out var again).ShouldBeTrue();
        again.ShouldBe(expected);
    }

    [Theory]
    [InlineData("mailto:someone@example.com")]
    [InlineData("urn:isbn:0451450523")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("\\\\server\\share")]
    [InlineData("ftp://example.com/")]
    [InlineData("example.com/page")]
    [InlineData("http://example.com:65536/")]
    [InlineData("")]
    [InlineData(null)]
    public void TryCanonicalize_RejectsWhatIsNotAnAbsoluteHttpUrl(string? url)
    {
        UrlCanonicalizer.TryCanonicalize(url, out var canonical).ShouldBeFalse();
        canonical.ShouldBeEmpty();
    }

    [Fact]
    public void Canonicalize_NonHttpUri_Throws()
    {
        Should.Throw<ArgumentException>(() => UrlCanonicalizer.Canonicalize(new Uri("mailto:a@example.com")));
        Should.Throw<ArgumentException>(() => UrlCanonicalizer.Canonicalize(new Uri("/relative", UriKind.Relative)));
    }

    [Fact]
    public void Fingerprint_IgnoresMethodCaseAndTreatsNoBodyAsEmpty()
    {
        var url = new Uri("https://example.com/a?x=1");

        RequestFingerprint.Compute("post", url, "b"u8).ShouldBe(RequestFingerprint.Compute("POST", url, "b"u8));
        new Request("https://example.com/a?x=1") { Body = null }.Fingerprint.ShouldBe(new Request("https://example.com/a?x=1") { Body = [] }.Fingerprint);
        new Request("https://example.com/a?x=1#top").Fingerprint.ShouldBe(new Request("HTTPS://EXAMPLE.com:443/a?x=1").Fingerprint);
    }

    [Fact]
    public void Fingerprint_IsStableAcrossVersions()
    {
        // SHA-1 of "GET\nhttps://example.com/\n": a change here invalidates every stored job's seen-set.
        RequestFingerprint.Compute("GET", new Uri("https://example.com"), default).ToString()
            .ShouldBe(Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData("GET\nhttps://example.com/\n"u8)));
    }
}
