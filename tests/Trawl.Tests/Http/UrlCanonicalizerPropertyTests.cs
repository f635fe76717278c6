using System.Text;
using Trawl.Http;

namespace Trawl.Tests.Http;

/// <summary>Seeded property tests: each runs <see cref="UrlPropertyCheck.Cases"/> generated cases and prints the failing input.</summary>
public sealed class UrlCanonicalizerPropertyTests
{
    private const string UrlCharacters = "/?#&=;+.~-_!$'()*,:@[]\\ abcXYZ019";
    private const string HexOrNot = "0123456789abcdefABCDEFxz%";

    [Fact]
    public void Canonicalize_IsIdempotent()
    {
        UrlPropertyCheck.ForAll(1, r => GeneratedUrl.Generate(r).WriteEquivalent(r), url =>
        {
            UrlCanonicalizer.TryCanonicalize(url, out var once).ShouldBeTrue();
            UrlCanonicalizer.TryCanonicalize(once, out var twice).ShouldBeTrue($"canonical form {once} does not parse");
            twice.ShouldBe(once);
        });
    }

    [Fact]
    public void Canonicalize_OfAnythingItAccepts_IsIdempotent()
    {
        UrlPropertyCheck.ForAll(2, ArbitraryUrlish, url =>
        {
            if (UrlCanonicalizer.TryCanonicalize(url, out var once))
            {
                UrlCanonicalizer.TryCanonicalize(once, out var twice).ShouldBeTrue($"canonical form {UrlPropertyCheck.Escape(once)} does not parse");
                twice.ShouldBe(once);
            }
        });
    }

    [Fact]
    public void TryCanonicalize_NeverThrows_OnArbitraryStrings()
    {
        UrlPropertyCheck.ForAll(3, r => r.Next(2) == 0 ? ArbitraryString(r) : ArbitraryUrlish(r), url =>
        {
            var accepted = UrlCanonicalizer.TryCanonicalize(url, out var canonical);
            if (!accepted)
            {
                canonical.ShouldBeEmpty();
            }
        });
    }

    [Fact]
    public void EquivalentSpellings_HaveEqualFingerprints()
    {
        UrlPropertyCheck.ForAll(4, r => (Url: GeneratedUrl.Generate(r), Seed: r.Next()), c =>
        {
            var plain = c.Url.ToString();
            var variant = c.Url.WriteEquivalent(new Random(c.Seed));
            UrlCanonicalizer.Canonicalize(new Uri(variant)).ShouldBe(UrlCanonicalizer.Canonicalize(new Uri(plain)), $"variant {variant}");
            RequestFingerprint.Compute("GET", new Uri(variant), default).ShouldBe(RequestFingerprint.Compute("get", new Uri(plain), default));
        }, c => c.Url.ToString() + " / variant seed " + c.Seed);
    }

    [Fact]
    public void DifferentPathsQueriesMethodsAndBodies_HaveDifferentFingerprints()
    {
        UrlPropertyCheck.ForAll(5, GeneratedUrl.Generate, url =>
        {
            var uri = new Uri(url.ToString());
            var fingerprint = RequestFingerprint.Compute("GET", uri, default);

            RequestFingerprint.Compute("GET", new Uri(url.WithExtraSegment("zz").ToString()), default).ShouldNotBe(fingerprint, "extra path segment");
            RequestFingerprint.Compute("GET", new Uri(url.WithExtraParameter("zz", "1").ToString()), default).ShouldNotBe(fingerprint, "extra query parameter");
            RequestFingerprint.Compute("POST", uri, default).ShouldNotBe(fingerprint, "method");
            RequestFingerprint.Compute("GET", uri, "a=1"u8).ShouldNotBe(fingerprint, "body");
            RequestFingerprint.Compute("GET", uri, "a=1"u8).ShouldNotBe(RequestFingerprint.Compute("GET", uri, "a=2"u8), "body content");
            if (url.Query.Count > 0)
            {
                var (name, value) = url.Query[0];
                var changed = url with { Query = [(name, (value ?? string.Empty) + "x"), .. url.Query.Skip(1)] };
                RequestFingerprint.Compute("GET", new Uri(changed.ToString()), default).ShouldNotBe(fingerprint, "query value");
            }
        });
    }

    [Fact]
    public void Fingerprint_RoundTripsThroughHexAndBytes()
    {
        UrlPropertyCheck.ForAll(6, GeneratedUrl.Generate, url =>
        {
            var fingerprint = RequestFingerprint.Compute("GET", new Uri(url.ToString()), default);

            RequestFingerprint.Parse(fingerprint.ToString()).ShouldBe(fingerprint);
            RequestFingerprint.FromBytes(fingerprint.ToBytes()).ShouldBe(fingerprint);
            fingerprint.ToString().Length.ShouldBe(40);
        }, cases: 2_000);
    }

    // Strings that are nearly URLs: a scheme, then a soup of URL characters, escapes (valid and not), unicode,
    // surrogates, controls and ports of any size.
    internal static string ArbitraryUrlish(Random random)
    {
        string[] schemes = ["http://", "https://", "HTTP://", "ftp://", "file:///", "mailto:", "urn:", "x:", "http:", "//", "", "javascript:"];
        string[] hosts = ["example.com", "EXAMPLE.com.", "[::1]", "[fe80::1%25eth0]", "1.2.3.4", "bücher.de", "xn--bcher-kva.de", "a_b.example", "", "@", "user:pw@host", "h%41st", "[", "1.2.3.256"];
        var builder = new StringBuilder();
        builder.Append(schemes[random.Next(schemes.Length)]).Append(hosts[random.Next(hosts.Length)]);
        if (random.Next(3) == 0)
        {
            builder.Append(':').Append(random.Next(4) switch
            {
                0 => random.Next(0, 70000).ToString(),
                1 => "99999999999999999999",
                2 => "-1",
                _ => string.Empty,
            });
        }

        var length = random.Next(0, 30);
        for (var i = 0; i < length; i++)
        {
            builder.Append(random.Next(8) switch
            {
                0 => "%" + HexOrNot[random.Next(HexOrNot.Length)] + HexOrNot[random.Next(HexOrNot.Length)],
                1 => "%",
                2 => ((char)random.Next(0x80, 0xFFFF)).ToString(),
                3 => ((char)random.Next(0xD800, 0xE000)).ToString(),
                4 => ((char)random.Next(0, 0x20)).ToString(),
                _ => UrlCharacters[random.Next(UrlCharacters.Length)].ToString(),
            });
        }

        return builder.ToString();
    }

    private static string ArbitraryString(Random random)
    {
        var chars = new char[random.Next(0, 60)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)random.Next(0, 0x10000);
        }

        return new string(chars);
    }
}
