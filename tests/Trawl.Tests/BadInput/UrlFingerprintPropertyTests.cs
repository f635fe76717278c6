using System.Text;
using Trawl.Http;
using Trawl.Tests.Http;

namespace Trawl.Tests.BadInput;

/// <summary>
/// Property tests of the URL canonicalizer and the request fingerprint against hostile strings: the cases the
/// canonicalizer's own property tests leave out. Seeded, so a failure replays.
/// </summary>
public sealed class UrlFingerprintPropertyTests
{
    private static readonly Response Page = new(
        new Request("http://example.com/dir/page?x=1"),
        new Uri("http://example.com/dir/page?x=1"),
        200,
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = ["text/html"] },
        "<html><body></body></html>"u8.ToArray());

    [Fact]
    public void Fingerprint_NeverThrows_OnAnyHttpUrlAStringParsesTo()
    {
        UrlPropertyCheck.ForAll(21, HostileString, text =>
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps))
            {
                var fingerprint = RequestFingerprint.Compute("GET", url, default);
                RequestFingerprint.Compute("GET", url, default).ShouldBe(fingerprint);
            }
        });
    }

    [Fact]
    public void NewRequest_OfAnyString_EitherWorksOrThrowsArgumentException_AndItsFingerprintNeverThrows()
    {
        UrlPropertyCheck.ForAll(22, HostileString, text =>
        {
            Request request;
            try
            {
                request = new Request(text);
            }
            catch (ArgumentException)
            {
                return;
            }

            _ = request.Fingerprint;
            RequestJson.Deserialize(RequestJson.Serialize(request)).Fingerprint.ShouldBe(request.Fingerprint);
        });
    }

    [Fact]
    public void UrlJoin_OfAnyHref_NeverThrows_AndGivesOnlyUrlsARequestAccepts_ThatFingerprintStably()
    {
        UrlPropertyCheck.ForAll(23, random => random.Next(3) == 0 ? HostileString(random) : RelativeHref(random), href =>
        {
            var url = Page.UrlJoin(href);
            if (url is null)
            {
                Page.FollowAll([href]).ShouldBeEmpty();
                return;
            }

            (url.Scheme is "http" or "https").ShouldBeTrue(url.AbsoluteUri);
            new Request(url).Fingerprint.ShouldBe(RequestFingerprint.Compute("GET", url, default));
            Page.FollowAll([href]).Count.ShouldBe(1);
            url.AbsoluteUri.Length.ShouldBeLessThanOrEqualTo(Response.MaxUrlLength * 4);
            var canonical = UrlCanonicalizer.Canonicalize(url);
            UrlCanonicalizer.TryCanonicalize(canonical, out var again).ShouldBeTrue(canonical);
            again.ShouldBe(canonical);
            RequestFingerprint.Compute("GET", new Uri(canonical), default).ShouldBe(RequestFingerprint.Compute("GET", url, default));
        });
    }

    /// <summary>The canonical form is itself a spelling of the same URL: it has the URL's fingerprint.</summary>
    [Fact]
    public void CanonicalForm_OfAnyAcceptedString_HasTheSameFingerprint()
    {
        UrlPropertyCheck.ForAll(24, HostileString, text =>
        {
            if (UrlCanonicalizer.TryCanonicalize(text, out var canonical))
            {
                RequestFingerprint.Compute("GET", new Uri(canonical), default)
                    .ShouldBe(RequestFingerprint.Compute("GET", new Uri(text.Trim()), default), UrlPropertyCheck.Escape(canonical));
            }
        });
    }

    [Fact]
    public void DifferentHostsPortsSchemesPathCaseAndTrailingSlashes_HaveDifferentFingerprints()
    {
        UrlPropertyCheck.ForAll(25, GeneratedUrl.Generate, url =>
        {
            var fingerprint = Fingerprint(url);

            if (!url.Host.StartsWith('[') && !char.IsAsciiDigit(url.Host[^1]))
            {
                Fingerprint(url with { Host = "x" + url.Host }).ShouldNotBe(fingerprint, "host");
            }

            Fingerprint(url with { Port = url.Port is 8081 ? 8082 : 8081 }).ShouldNotBe(fingerprint, "port");
            if (url.Port is not null)
            {
                Fingerprint(url with { Scheme = url.Scheme == "http" ? "https" : "http" }).ShouldNotBe(fingerprint, "scheme");
            }

            if (url.Segments.Count > 0 && url.Segments[^1].Length > 0)
            {
                Fingerprint(url with { Segments = [.. url.Segments, string.Empty] }).ShouldNotBe(fingerprint, "trailing slash");
            }

            var flipped = url.Segments.Select(FlipFirstLetter).ToList();
            if (!flipped.SequenceEqual(url.Segments))
            {
                Fingerprint(url with { Segments = flipped }).ShouldNotBe(fingerprint, "path case");
            }
        });

        static RequestFingerprint Fingerprint(GeneratedUrl url) => RequestFingerprint.Compute("GET", new Uri(url.ToString()), default);
    }

    private static string FlipFirstLetter(string segment)
    {
        // Only letters outside escapes: "%2f" and "%2F" are the same byte.
        for (var i = 0; i < segment.Length; i++)
        {
            if (segment[i] == '%')
            {
                i += 2;
            }
            else if (char.IsAsciiLetter(segment[i]))
            {
                var c = char.IsAsciiLetterUpper(segment[i]) ? char.ToLowerInvariant(segment[i]) : char.ToUpperInvariant(segment[i]);
                return string.Concat(segment.AsSpan(0, i), c.ToString(), segment.AsSpan(i + 1));
            }
        }

        return segment;
    }

    // Strings a hostile page or user might hand over: near-URLs with every kind of damage, and plain garbage.
    private static string HostileString(Random random)
    {
        string[] starts =
        [
            "http://", "https://", "HtTp://", "http:", "http:/", "http:///", "//", "\\\\", "http:\\\\", " \t\nhttp://", "ftp://", "javascript:", "data:", "mailto:", "", "http://user:pa%zzss@",
        ];
        string[] hosts =
        [
            "example.com", "EXAMPLE.COM.", "[::1]", "[::1", "[fe80::1%25eth0]", "[fe80::1%eth0]", "127.0.0.1", "0x7f.1", "2130706433", "999.999.999.999",
            "bücher.de", "xn--bcher-kva.de", "xn--", "a..b", ".", "", "exa mple.com", "host:99999999999", "host:-1", "host:", "ex%41mple.com", "\u0000host",
            new string('a', 64) + ".com", string.Join('.', Enumerable.Repeat("a", 200)),
        ];
        var builder = new StringBuilder();
        builder.Append(starts[random.Next(starts.Length)]).Append(hosts[random.Next(hosts.Length)]);
        var parts = random.Next(0, 12);
        for (var i = 0; i < parts; i++)
        {
            builder.Append(random.Next(14) switch
            {
                0 => "%",
                1 => "%" + (char)random.Next(0x20, 0x7F) + (char)random.Next(0x20, 0x7F),
                2 => ((char)random.Next(0xD800, 0xE000)).ToString(),
                3 => ((char)random.Next(0, 0x20)).ToString(),
                4 => ((char)random.Next(0x80, 0xFFFF)).ToString(),
                5 => "/../",
                6 => "/./",
                7 => "?a=1&a=1&&b",
                8 => "#frag#frag",
                9 => new string('x', random.Next(100, 10_000)),
                10 => "\\",
                11 => "%00",
                12 => "?q=" + Uri.EscapeDataString("日本語 +&="),
                _ => "/seg" + random.Next(100),
            });
        }

        return builder.ToString();
    }

    private static string RelativeHref(Random random)
    {
        string[] hrefs =
        [
            "", "#", "?", "?x=2", "./", "../", "../../../../../a", "/abs", "rel/path", "  /padded  ", "/p\tat\nh", "&amp;", "%zz", "?%", "//other.example/x",
            "///triple", "\\back\\slash", "http:rel", "https:/one-slash", "HTTP://EXAMPLE.COM:80/", "http://example.com:443/", "https://example.com:443/x",
        ];
        var href = hrefs[random.Next(hrefs.Length)];
        var tail = HostileString(random);
        return random.Next(3) == 0 ? href + tail[..Math.Min(20, tail.Length)] : href;
    }
}
