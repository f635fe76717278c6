using System.Text;
using Trawl.Politeness;

namespace Trawl.Tests.Politeness;

public sealed class RobotsTxtTests
{
    private static bool Allowed(string robots, string path, string token = "Trawl") =>
        RobotsTxt.Parse(robots, token).IsAllowed(new Uri("http://example.com" + path));

    [Fact]
    public void NoRules_AllowEverything()
    {
        Allowed("", "/anything").ShouldBeTrue();
        Allowed("# only a comment\n\nSitemap: http://example.com/sitemap.xml\n", "/anything").ShouldBeTrue();
    }

    [Fact]
    public void DisallowIsAPrefixMatch()
    {
        const string Robots = "User-agent: *\nDisallow: /pages/1\n";

        Allowed(Robots, "/pages/1").ShouldBeFalse();
        Allowed(Robots, "/pages/17").ShouldBeFalse();
        Allowed(Robots, "/pages/1/x").ShouldBeFalse();
        Allowed(Robots, "/pages/2").ShouldBeTrue();
        Allowed(Robots, "/").ShouldBeTrue();
    }

    [Fact]
    public void TheGroupNamingTheCrawler_WinsOverTheStarGroup_CaseInsensitively()
    {
        const string Robots = """
            User-agent: *
            Disallow: /

            User-agent: trawl
            Disallow: /private
            """;

        Allowed(Robots, "/public").ShouldBeTrue();
        Allowed(Robots, "/private/x").ShouldBeFalse();
        Allowed(Robots, "/public", token: "OtherBot").ShouldBeFalse();
    }

    [Fact]
    public void AGroupNamingTheCrawler_WithAnEmptyDisallow_AllowsEverything()
    {
        const string Robots = "User-agent: *\nDisallow: /\n\nUser-agent: Trawl\nDisallow:\n";

        Allowed(Robots, "/anything").ShouldBeTrue();
    }

    [Fact]
    public void GroupsNamingTheCrawler_AreMerged_AndSeveralAgentsCanShareAGroup()
    {
        const string Robots = """
            User-agent: Other
            User-agent: Trawl
            Disallow: /a

            User-agent: Unrelated
            Disallow: /b

            User-agent: Trawl/2.0
            Disallow: /c
            """;

        Allowed(Robots, "/a").ShouldBeFalse();
        Allowed(Robots, "/b").ShouldBeTrue();
        Allowed(Robots, "/c").ShouldBeFalse();
    }

    [Fact]
    public void TheLongestMatchWins_AndAllowWinsATie()
    {
        const string Robots = """
            User-agent: *
            Disallow: /shop
            Allow: /shop/public
            Disallow: /shop/public/secret
            Allow: /tie
            Disallow: /tie
            """;

        Allowed(Robots, "/shop/cart").ShouldBeFalse();
        Allowed(Robots, "/shop/public/page").ShouldBeTrue();
        Allowed(Robots, "/shop/public/secret/1").ShouldBeFalse();
        Allowed(Robots, "/tie").ShouldBeTrue();
    }

    [Theory]
    [InlineData("/*.pdf$", "/docs/a.pdf", false)]
    [InlineData("/*.pdf$", "/docs/a.pdf?x=1", true)]
    [InlineData("/*.pdf", "/docs/a.pdf?x=1", false)]
    [InlineData("/fish*", "/fishheads", false)]
    [InlineData("/fish*", "/Fish", true)]
    [InlineData("/*/private/*", "/a/private/b", false)]
    [InlineData("/*/private/*", "/private/b", true)]
    [InlineData("/a*b*c$", "/axxbyyc", false)]
    [InlineData("/a*b*c$", "/axxbyycd", true)]
    [InlineData("/*?", "/page?q=1", false)]
    [InlineData("/$", "/", false)]
    [InlineData("/$", "/x", true)]
    [InlineData("***", "/anything", false)]
    public void WildcardsAndEndAnchors_Match(string pattern, string path, bool allowed) =>
        Allowed($"User-agent: *\nDisallow: {pattern}\n", path).ShouldBe(allowed);

    [Fact]
    public void QueriesAreMatchedToo()
    {
        Allowed("User-agent: *\nDisallow: /search?q=\n", "/search?q=cats").ShouldBeFalse();
        Allowed("User-agent: *\nDisallow: /search?q=\n", "/search").ShouldBeTrue();
    }

    [Fact]
    public void PercentEncoding_IsNormalizedOnBothSides()
    {
        // An escaped unreserved character equals the character; non-ASCII is compared as UTF-8 escapes.
        Allowed("User-agent: *\nDisallow: /%7Euser\n", "/~user/x").ShouldBeFalse();
        Allowed("User-agent: *\nDisallow: /~user\n", "/%7euser/x").ShouldBeFalse();
        Allowed("User-agent: *\nDisallow: /bücher\n", "/b%C3%BCcher/1").ShouldBeFalse();
        Allowed("User-agent: *\nDisallow: /a%2fb\n", "/a%2Fb").ShouldBeFalse();
        Allowed("User-agent: *\nDisallow: /a%2Fb\n", "/a/b").ShouldBeTrue();
    }

    [Fact]
    public void RobotsTxtItself_IsAlwaysAllowed() =>
        Allowed("User-agent: *\nDisallow: /\n", "/robots.txt").ShouldBeTrue();

    [Fact]
    public void CrawlDelay_IsReadFromTheMatchingGroup()
    {
        RobotsTxt.Parse("User-agent: *\nCrawl-delay: 0.3\nDisallow: /x\n", "Trawl").CrawlDelay.ShouldBe(TimeSpan.FromSeconds(0.3));
        RobotsTxt.Parse("User-agent: Trawl\nCrawl-delay: 2\n\nUser-agent: *\nCrawl-delay: 9\n", "Trawl").CrawlDelay.ShouldBe(TimeSpan.FromSeconds(2));
        RobotsTxt.Parse("User-agent: Other\nCrawl-delay: 2\n", "Trawl").CrawlDelay.ShouldBeNull();
        RobotsTxt.Parse("User-agent: *\nCrawl-delay: soon\n", "Trawl").CrawlDelay.ShouldBeNull();
    }

    [Fact]
    public void CommentsBlankLinesAndOddSpacing_AreTolerated()
    {
        const string Robots = "\uFEFF# hello\r\nUSER-AGENT :  *   # everyone\r\n\r\n  disallow:/a # no a\r\nSitemap: /s.xml\r\nfoo: bar\r\nDisallow: /b\r\n";

        Allowed(Robots, "/a").ShouldBeFalse();
        Allowed(Robots, "/b").ShouldBeFalse();
        Allowed(Robots, "/c").ShouldBeTrue();
    }

    [Fact]
    public void RulesBeforeAnyUserAgent_AreIgnored() =>
        Allowed("Disallow: /\nUser-agent: *\nDisallow: /x\n", "/y").ShouldBeTrue();

    [Fact]
    public void AnyBytes_ParseWithoutThrowing()
    {
        var random = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(0, 2000)];
            random.NextBytes(bytes);
            var text = Encoding.Latin1.GetString(bytes).Replace('\0', '\n');
            var robots = RobotsTxt.Parse(Encoding.UTF8.GetBytes("User-agent: *\nDisallow: " + text), "Trawl");
            robots.IsAllowed(new Uri("http://example.com/some/path?x=1"));
        }
    }

    [Fact]
    public void AHostilePattern_IsMatchedInBoundedTime()
    {
        var pattern = "/" + string.Concat(Enumerable.Repeat("a*", 5_000)) + "b";
        var path = "/" + new string('a', 20_000);

        RobotsTxt.Matches(RobotsTxt.Normalize(pattern), path).ShouldBeFalse();
    }

    [Fact]
    public void ProductToken_IsTakenFromTheUserAgentHeader()
    {
        RobotsUserAgent.TokenOf("Trawl/1.0 (+https://github.com/trawl)").ShouldBe("Trawl");
        RobotsUserAgent.TokenOf("my-bot_2 bla").ShouldBe("my-bot_");
        RobotsUserAgent.TokenOf("/weird").ShouldBe("Trawl");
    }
}
