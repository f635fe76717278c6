using Microsoft.Extensions.Logging;
using Trawl.Cli.Hosting;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>The console's logger under a live display: held for the display while it runs, written plainly otherwise.</summary>
public sealed class DisplayLoggerProviderTests
{
    [Fact]
    public void WhileAttached_MessagesAreHeldForTheDisplay_AndAfterwards_WrittenInOrder()
    {
        var console = new StringWriter();
        using var provider = new DisplayLoggerProvider(console, new FakeTimeProvider());
        var logger = provider.CreateLogger("Trawl.Crawl.docs");
        var signals = 0;

        logger.LogWarning("before");
        provider.Attach(() => signals++);
        logger.LogWarning("first");
        logger.LogError("second");
        var drained = provider.Drain();
        logger.LogWarning("third");
        provider.Detach();
        logger.LogWarning("after");

        drained.Select(line => line.Text[9..]).ShouldBe(["warn: first", "fail: second"]);
        drained.Select(line => line.Level).ShouldBe([LogLevel.Warning, LogLevel.Error]);
        signals.ShouldBe(3);
        provider.Drain().ShouldBeEmpty();
        console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line[9..]).ShouldBe(["warn: before", "warn: third", "warn: after"]);
    }

    [Fact]
    public void AnException_ShowsItsTypeAndMessage_NeverItsStackTrace()
    {
        var console = new StringWriter();
        using var provider = new DisplayLoggerProvider(console, new FakeTimeProvider());
        Exception thrown;
        try
        {
            throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException ex)
        {
            thrown = ex;
        }

        provider.CreateLogger("x").LogError(thrown, "Callback ParseAsync failed on http://example.com/; the request fails as callback.");

        var line = console.ToString().TrimEnd('\n');
        line.ShouldNotContain("\n");
        line.ShouldEndWith("fail: Callback ParseAsync failed on http://example.com/; the request fails as callback. (InvalidOperationException: boom)");
        line.ShouldMatch(@"^\d\d:\d\d:\d\d fail: ");
    }
}
