using System.IO.Compression;
using System.Text;
using Trawl.Sitemaps;

namespace Trawl.Tests.Sitemaps;

/// <summary>The sitemap reader on its own: formats, gzip told by its bytes, and the protocol's limits as failures.</summary>
public sealed class SitemapParserTests
{
    private static readonly Uri Site = new("https://example.com/sitemap.xml");

    [Fact]
    public void Urlset_GivesEachPage_WithItsLastmod()
    {
        var entries = Read("""
            <?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc> https://example.com/a </loc><lastmod>2025-03-04</lastmod><priority>0.5</priority></url>
              <url><lastmod>2025-03-05T10:30:00+02:00</lastmod><loc>https://example.com/b?x=1&amp;y=2</loc></url>
              <url><loc>https://example.com/c</loc><lastmod>not a date</lastmod></url>
            </urlset>
            """);

        entries.Select(e => e.Url.AbsoluteUri).ShouldBe(["https://example.com/a", "https://example.com/b?x=1&y=2", "https://example.com/c"]);
        entries.ShouldAllBe(e => !e.IsSitemap);
        entries[0].LastModified.ShouldBe(new DateTimeOffset(2025, 3, 4, 0, 0, 0, TimeSpan.Zero));
        entries[1].LastModified.ShouldBe(new DateTimeOffset(2025, 3, 5, 8, 30, 0, TimeSpan.Zero));
        entries[2].LastModified.ShouldBeNull();
    }

    [Fact]
    public void SitemapIndex_GivesSitemaps()
    {
        var entries = Read("""
            <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <sitemap><loc>https://example.com/a.xml.gz</loc><lastmod>2025-01-01</lastmod></sitemap>
              <sitemap><loc>https://example.com/b.xml</loc></sitemap>
            </sitemapindex>
            """);

        entries.Select(e => e.Url.AbsolutePath).ShouldBe(["/a.xml.gz", "/b.xml"]);
        entries.ShouldAllBe(e => e.IsSitemap);
    }

    [Fact]
    public void Gzip_IsToldByItsBytes()
    {
        var xml = """<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://example.com/z</loc></url></urlset>""";
        var entries = SitemapParser.Read(Gzip(Encoding.UTF8.GetBytes(xml)), new Uri("https://example.com/plain-name.xml"), new SitemapReadCounts()).ToList();

        entries.Single().Url.AbsoluteUri.ShouldBe("https://example.com/z");
    }

    [Fact]
    public void RobotsTxt_GivesItsSitemapLines()
    {
        var entries = Read("User-agent: *\nDisallow: /private\nSITEMAP: https://example.com/one.xml # main\nsitemap:/two.xml\n");

        entries.Select(e => e.Url.AbsoluteUri).ShouldBe(["https://example.com/one.xml", "https://example.com/two.xml"]);
        entries.ShouldAllBe(e => e.IsSitemap);
    }

    [Fact]
    public void ADtd_IsRefused_WithoutExpandingAnything()
    {
        var ex = Should.Throw<SitemapException>(() => Read("""
            <?xml version="1.0"?>
            <!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <urlset><url><loc>https://example.com/&b;</loc></url></urlset>
            """));

        ex.Kind.ShouldBe(SitemapException.Malformed);
        ex.Message.ShouldContain("DTD");
    }

    [Fact]
    public void AGzipBomb_FailsAsTooLarge()
    {
        var xml = new MemoryStream();
        xml.Write("<urlset>"u8);
        var spaces = new byte[1 << 20];
        spaces.AsSpan().Fill((byte)' ');
        for (var written = 0L; written <= SitemapParser.MaxBytes; written += spaces.Length)
        {
            xml.Write(spaces);
        }

        xml.Write("</urlset>"u8);
        var bomb = Gzip(xml.ToArray());
        bomb.Length.ShouldBeLessThan(1 << 20);

        var ex = Should.Throw<SitemapException>(() => SitemapParser.Read(bomb, Site, new SitemapReadCounts()).ToList());

        ex.Kind.ShouldBe(SitemapException.TooLarge);
    }

    [Fact]
    public void AnotherRootElement_OrCutOffXml_IsMalformed()
    {
        Should.Throw<SitemapException>(() => Read("<html><body>no</body></html>")).Kind.ShouldBe(SitemapException.Malformed);
        Should.Throw<SitemapException>(() => Read("<urlset><url><loc>https://example.com/a</loc></url><url>")).Kind.ShouldBe(SitemapException.Malformed);
        Should.Throw<SitemapException>(() => SitemapParser.Read(new byte[] { 0x1f, 0x8b, 1, 2, 3 }, Site, new SitemapReadCounts()).ToList())
            .Kind.ShouldBe(SitemapException.Malformed);
    }

    [Fact]
    public void PastFiftyThousandEntries_TheRestAreCounted_NotReturned()
    {
        var text = new StringBuilder("<urlset>");
        for (var i = 0; i < SitemapParser.MaxEntries + 7; i++)
        {
            text.Append("<url><loc>https://example.com/p/").Append(i).Append("</loc></url>");
        }

        text.Append("<url><loc>javascript:alert(1)</loc></url></urlset>");
        var counts = new SitemapReadCounts();

        var entries = SitemapParser.Read(Encoding.UTF8.GetBytes(text.ToString()), Site, counts).ToList();

        entries.Count.ShouldBe(SitemapParser.MaxEntries);
        counts.Truncated.ShouldBe(7);
        counts.Invalid.ShouldBe(1);
    }

    [Fact]
    public void ALastmodInMeta_KeepsItsMilliseconds()
    {
        // A re-run's start stands in for a missing lastmod and is compared with fetch times in milliseconds: rounded down
        // to the second, a sitemap fetched earlier in that second would not be read again.
        var time = new DateTimeOffset(2026, 12, 4, 0, 40, 12, 345, TimeSpan.Zero);
        var request = new Trawl.Http.Request("https://example.com/") { Meta = { [SitemapRequests.LastmodMeta] = SitemapRequests.Format(time) } };

        SitemapRequests.LastModified(request).ShouldBe(time);
        SitemapRequests.Format(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).ShouldBe("2026-01-01T00:00:00Z");
    }

    private static List<SitemapEntry> Read(string text) =>
        SitemapParser.Read(Encoding.UTF8.GetBytes(text), Site, new SitemapReadCounts()).ToList();

    private static byte[] Gzip(byte[] data)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }

        return buffer.ToArray();
    }
}
