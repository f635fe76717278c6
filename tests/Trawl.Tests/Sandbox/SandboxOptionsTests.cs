using Trawl.Sandbox;

namespace Trawl.Tests.Sandbox;

public sealed class SandboxOptionsTests
{
    [Fact]
    public void Defaults_AreDocumentedValues()
    {
        var options = new SandboxOptions();

        options.Pages.ShouldBe(1000);
        options.LinksPerPage.ShouldBe(10);
        options.PageSize.ShouldBe(4096);
        options.QuotePages.ShouldBe(10);
        options.QuotesPerPage.ShouldBe(10);
        options.BigPages.ShouldBe(0);
        options.BigPageMinSize.ShouldBe(1 << 20);
        options.BigPageMaxSize.ShouldBe(10 << 20);
        options.Host.ShouldBe("127.0.0.1");
        options.Port.ShouldBe(0);
        options.Seed.ShouldBe(1);
        options.RobotsTxt.ShouldBeNull();
        options.EnableRequestLog.ShouldBeTrue();
        Should.NotThrow(options.Validate);
    }

    public static TheoryData<Action<SandboxOptions>, string> BadOptions() => new()
    {
        { o => o.Pages = 0, nameof(SandboxOptions.Pages) },
        { o => o.LinksPerPage = 0, nameof(SandboxOptions.LinksPerPage) },
        { o => o.PageSize = -1, nameof(SandboxOptions.PageSize) },
        { o => o.QuotePages = -1, nameof(SandboxOptions.QuotePages) },
        { o => o.BigPages = o.Pages + 1, nameof(SandboxOptions.BigPages) },
        { o => o.BigPages = -1, nameof(SandboxOptions.BigPages) },
        { o => o.BigPageMaxSize = (16 << 20) + 1, nameof(SandboxOptions.BigPageMaxSize) },
        { o => o.BigPageMinSize = (10 << 20) + 1, nameof(SandboxOptions.BigPageMinSize) },
        { o => o.QuotesPerPage = 0, nameof(SandboxOptions.QuotesPerPage) },
        { o => o.Host = "not a host", nameof(SandboxOptions.Host) },
        { o => o.Port = 70_000, nameof(SandboxOptions.Port) },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Validate_BadOption_ThrowsNamingIt(Action<SandboxOptions> spoil, string option)
    {
        var options = new SandboxOptions();
        spoil(options);

        var error = Should.Throw<ArgumentException>(options.Validate);

        error.ParamName.ShouldBe(option);
        error.Message.ShouldContain(option);
    }

    [Fact]
    public async Task StartAsync_BadOption_Throws()
    {
        await Should.ThrowAsync<ArgumentException>(() => SandboxServer.StartAsync(new SandboxOptions { Pages = 0 }, CancellationToken.None));
    }
}
