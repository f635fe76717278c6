using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxExporterTests
{
    [Fact]
    public async Task Export_WritesEveryPage_ByteForByteAsServed()
    {
        var options = SandboxFixture.TestOptions();
        options.Pages = 60;
        await using var server = await SandboxServer.StartAsync(options, CancellationToken.None);
        using var client = SandboxFixture.NewClient(followRedirects: false);
        using var directory = new TempDirectory();

        var written = await SandboxExporter.ExportAsync(directory.Path, options, server.BaseUrl, CancellationToken.None);

        var paths = SandboxSite.ReachablePaths(options);
        written.ShouldBe(paths.Count + 1);
        Directory.GetFiles(directory.Path, "*", SearchOption.AllDirectories).Length.ShouldBe(written);
        foreach (var path in paths)
        {
            var file = Path.Combine([directory.Path, .. path.Split('/', StringSplitOptions.RemoveEmptyEntries), "index.html"]);
            File.Exists(file).ShouldBeTrue(path);
            (await File.ReadAllBytesAsync(file)).ShouldBe(await client.GetByteArrayAsync(new Uri(server.BaseUrl, path)), path);
        }

        (await File.ReadAllBytesAsync(Path.Combine(directory.Path, "robots.txt")))
            .ShouldBe(await client.GetByteArrayAsync(new Uri(server.BaseUrl, "/robots.txt")));
    }

    [Fact]
    public async Task Export_AbsoluteLinksUseTheGivenBaseUrl()
    {
        var options = new SandboxOptions { Pages = 40, QuotePages = 0 };
        using var directory = new TempDirectory();

        await SandboxExporter.ExportAsync(directory.Path, options, new Uri("http://static.test:8080/"), CancellationToken.None);

        var pages = Directory.GetFiles(Path.Combine(directory.Path, "pages"), "index.html", SearchOption.AllDirectories);
        pages.Length.ShouldBe(40);
        pages.Select(File.ReadAllText).ShouldContain(html => html.Contains("href=\"http://static.test:8080/pages/"));
        File.Exists(Path.Combine(directory.Path, "index.html")).ShouldBeTrue();
        File.Exists(Path.Combine(directory.Path, "robots.txt")).ShouldBeFalse();
        Directory.Exists(Path.Combine(directory.Path, "quotes")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("http://static.test/sub/")]
    [InlineData("http://static.test/?q=1")]
    [InlineData("ftp://static.test/")]
    public async Task Export_BaseUrlWithPathQueryOrOtherScheme_Throws(string baseUrl)
    {
        using var directory = new TempDirectory();

        var error = await Should.ThrowAsync<ArgumentException>(
            () => SandboxExporter.ExportAsync(directory.Path, new SandboxOptions { Pages = 2 }, new Uri(baseUrl), CancellationToken.None));

        error.ParamName.ShouldBe("baseUrl");
    }

    [Fact]
    public async Task Export_Cancelled_Throws()
    {
        using var directory = new TempDirectory();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(
            () => SandboxExporter.ExportAsync(directory.Path, new SandboxOptions { Pages = 2 }, new Uri("http://x.test/"), cancelled.Token));
    }
}
