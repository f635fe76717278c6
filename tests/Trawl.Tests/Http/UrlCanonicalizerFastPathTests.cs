using Trawl.Http;

namespace Trawl.Tests.Http;

/// <summary>
/// The fast path (<c>TryGetCanonicalAsIs</c>: the URL is already canonical, return it) must agree with the general
/// path on every URL of the seeded corpora the property tests use.
/// </summary>
public sealed class UrlCanonicalizerFastPathTests
{
    [Fact]
    public void FastPath_AgreesWithGeneralPath_OnGeneratedUrlsTheirVariantsAndCanonicalForms()
    {
        var taken = 0;
        UrlPropertyCheck.ForAll(1, r => (Url: GeneratedUrl.Generate(r), Seed: r.Next()), c =>
        {
            foreach (var text in new[] { c.Url.ToString(), c.Url.WriteEquivalent(new Random(c.Seed)) })
            {
                var uri = new Uri(text);
                var general = UrlCanonicalizer.CanonicalizeGeneral(uri);
                AssertAgrees(uri, general);

                // The canonical form itself is the case the fast path is for.
                var canonical = new Uri(general);
                if (AssertAgrees(canonical, UrlCanonicalizer.CanonicalizeGeneral(canonical)))
                {
                    taken++;
                }
            }
        }, c => c.Url.ToString() + " / variant seed " + c.Seed);

        // Most canonical forms of generated URLs (ASCII host, parameters unique) go the fast way; if none did, the
        // test above would compare nothing.
        taken.ShouldBeGreaterThan(UrlPropertyCheck.Cases);
    }

    [Fact]
    public void FastPath_AgreesWithGeneralPath_OnArbitraryUrlishStrings()
    {
        UrlPropertyCheck.ForAll(2, UrlCanonicalizerPropertyTests.ArbitraryUrlish, text =>
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                return;
            }

            string general;
            try
            {
                general = UrlCanonicalizer.CanonicalizeGeneral(uri);
            }
            catch (Exception ex) when (ex is UriFormatException or InvalidOperationException)
            {
                return;
            }

            AssertAgrees(uri, general);
        });
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/pages/1234")]
    [InlineData("https://example.com/")]
    [InlineData("https://example.com/a/b/?a=1&a=2&b&c=")]
    [InlineData("http://example.com/caf%C3%A9?q=%C3%A9")]

    // System.Uri already lower-cases the host, drops the default port and normalises these escapes in AbsoluteUri.
    [InlineData("http://Example.COM:80/")]
    [InlineData("http://example.com/%7e/%c3%a9")]
    public void FastPath_ReturnsTheSameString_ForACanonicalUrl(string url)
    {
        var uri = new Uri(url);

        UrlCanonicalizer.TryGetCanonicalAsIs(uri, out var canonical).ShouldBeTrue();
        canonical.ShouldBeSameAs(uri.AbsoluteUri);
        canonical.ShouldBe(UrlCanonicalizer.CanonicalizeGeneral(uri));
    }

    [Theory]
    [InlineData("http://example.com/#top")]
    [InlineData("http://example.com/?")]
    [InlineData("http://example.com/?b=1&a=1")]
    [InlineData("http://example.com/?a&a=")]
    [InlineData("http://example.com/?a=1&&b=1")]
    [InlineData("http://example.com/?a=b=c")]
    [InlineData("http://user@example.com/")]
    [InlineData("http://[::1]/")]
    [InlineData("http://bücher.example/")]
    public void FastPath_Declines_WhenTheGeneralPathWouldChangeSomething(string url)
    {
        UrlCanonicalizer.TryGetCanonicalAsIs(new Uri(url), out _).ShouldBeFalse();
    }

    private static bool AssertAgrees(Uri uri, string general)
    {
        UrlCanonicalizer.Canonicalize(uri).ShouldBe(general, $"for {UrlPropertyCheck.Escape(uri.OriginalString)}");
        if (UrlCanonicalizer.TryGetCanonicalAsIs(uri, out var fast))
        {
            fast.ShouldBe(general, $"fast path for {UrlPropertyCheck.Escape(uri.OriginalString)}");
            return true;
        }

        return false;
    }
}
