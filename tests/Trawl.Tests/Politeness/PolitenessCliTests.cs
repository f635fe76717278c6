using Trawl.Cli;
using Trawl.Cli.Commands;
using Trawl.Tests.Support;

namespace Trawl.Tests.Politeness;

public sealed class PolitenessCliTests
{
    [Fact]
    public async Task TheCommandLine_ObeysRobotsTxtByDefault()
    {
        await using var server = await TestSites.StartAsync(pages: 10, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /pages/\n");

        var run = await CliRunner.RunAsync("crawl", "--start", server.BaseUrl.AbsoluteUri, "--limit", "20", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        server.FetchCount("/robots.txt").ShouldBe(1);
        server.FetchCounts().Keys.ShouldNotContain(path => path.StartsWith("/pages/"));
        run.Output.ShouldContain("robots");
    }

    [Fact]
    public async Task IgnoreRobots_NeitherFetchesNorObeysIt()
    {
        await using var server = await TestSites.StartAsync(pages: 10, configure: site => site.RobotsTxt = "User-agent: *\nDisallow: /pages/\n");

        var run = await CliRunner.RunAsync("crawl", "--start", server.BaseUrl.AbsoluteUri, "--limit", "5", "--ignore-robots", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        server.FetchCount("/robots.txt").ShouldBe(0);
        server.FetchCounts().Keys.ShouldContain(path => path.StartsWith("/pages/"));
    }

    [Fact]
    public async Task RepeatedUserAgents_Rotate()
    {
        await using var server = await TestSites.StartAsync(pages: 10);

        var run = await CliRunner.RunAsync(
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--limit", "6", "--concurrency", "1", "--ignore-robots",
            "--user-agent", "First/1", "--user-agent", "Second/1", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        server.RequestLog().Select(r => r.UserAgent).ShouldBe(["First/1", "Second/1", "First/1", "Second/1", "First/1", "Second/1"]);
    }

    [Fact]
    public async Task UserAgentsAndProxies_CanComeFromFiles()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        await using var proxy = new TestHttpProxy();
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.File("agents.txt"), "# browsers\nFirst/1\n\nSecond/1\n");
        await File.WriteAllTextAsync(temp.File("proxies.txt"), proxy.Url.AbsoluteUri + "\n");

        var run = await CliRunner.RunAsync(
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--limit", "4", "--ignore-robots", "--user-agents-file", temp.File("agents.txt"),
            "--proxies-file", temp.File("proxies.txt"), "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        server.RequestLog().Select(r => r.UserAgent).Distinct().ShouldBe(["First/1", "Second/1"], ignoreOrder: true);
        proxy.Forwarded.Count.ShouldBe(4);
    }

    [Fact]
    public async Task AllowDomain_KeepsTheCrawlOnThatDomain()
    {
        await using var server = await TestSites.StartAsync(pages: 10);
        var localhost = new UriBuilder(server.BaseUrl) { Host = "localhost" }.Uri;

        var run = await CliRunner.RunAsync(
            "crawl", "--start", localhost.AbsoluteUri, "--start", server.BaseUrl.AbsoluteUri + "pages/3", "--allow", ".", "--allow-domain", "localhost",
            "--limit", "50", "--ignore-robots", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        run.Output.ShouldContain("offsite 1");
    }

    [Theory]
    [InlineData("--domain-delay", "example.com")]
    [InlineData("--domain-delay", "example.com=later")]
    [InlineData("--domain-delay", "http://example.com/=1")]
    [InlineData("--domain-concurrency", "example.com=0")]
    [InlineData("--max-pages-per-domain", "0")]
    [InlineData("--autothrottle-start-delay", "2")]
    [InlineData("--autothrottle", "--autothrottle-target-concurrency", "0")]
    [InlineData("--autothrottle", "--autothrottle-start-delay", "10", "--autothrottle-max-delay", "5")]
    [InlineData("--max-retry-after", "-1")]
    [InlineData("--robots-user-agent", "My Bot/1.0")]
    [InlineData("--allow-domain", "https://example.com/")]
    [InlineData("--recrawl-after", "soon")]
    [InlineData("--recrawl-after", "1h", "--no-job")]
    [InlineData("--user-agent", " ")]
    [InlineData("--user-agent-rotation", "random")]
    [InlineData("--user-agents-file", "/no/such/file")]
    [InlineData("--proxy", "ftp://proxy:21")]
    [InlineData("--proxy", "http://proxy:3128/path")]
    [InlineData("--proxy", "http://a:1", "--proxy", "http://b:1", "--proxy-rotation", "sideways")]
    [InlineData("--proxies-file", "/no/such/file")]
    public async Task BadPolitenessFlags_AreUsageErrors_WithOneClearMessage(params string[] flags)
    {
        var run = await CliRunner.RunAsync(["crawl", "--start", "http://127.0.0.1:1/", "--no-progress", .. flags]);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        var message = run.ErrorLines.ShouldHaveSingleItem();
        message.ShouldStartWith("trawl: ");
        flags.Where(flag => flag.StartsWith("--")).ShouldContain(flag => message.Contains(flag));
    }

    [Fact]
    public async Task ABadProxyFlag_NeverEchoesItsPassword()
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--no-progress", "--proxy", "http://user:hunter2@proxy:3128/path");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.Error.ShouldContain("--proxy");
        run.Error.ShouldNotContain("hunter2");
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("12h", 43_200)]
    [InlineData("7d", 604_800)]
    [InlineData("2w", 1_209_600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("500ms", 0.5)]
    public void Durations_Parse(string text, double seconds)
    {
        Durations.TryParse(text, out var duration).ShouldBeTrue();
        duration.TotalSeconds.ShouldBe(seconds, tolerance: 0.0001);
    }

    [Theory]
    [InlineData("")]
    [InlineData("h")]
    [InlineData("10x")]
    [InlineData("-5m")]
    [InlineData("1h 30m")]
    public void Durations_RejectNonsense(string text) => Durations.TryParse(text, out _).ShouldBeFalse();
}
