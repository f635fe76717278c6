using Trawl.Cli.Commands;

namespace Trawl.Tests.Cli;

public sealed class ByteSizesTests
{
    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("512K", 512L * 1024)]
    [InlineData("32M", 32L << 20)]
    [InlineData("32mib", 32L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData(" 64 MB ", 64L << 20)]
    [InlineData("100B", 100L)]
    public void Sizes_ParseAsBinaryMultiples(string text, long bytes)
    {
        ByteSizes.TryParse(text, out var parsed).ShouldBeTrue();
        parsed.ShouldBe(bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-1M")]
    [InlineData("12T")]
    [InlineData("1e3")]
    [InlineData("99999999999G")]
    public void NotSizes_AreRefused(string text) => ByteSizes.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void BytesInFlight_None_TurnsTheBudgetOff() => CrawlSettingsOptions.ParseBytesInFlight("none").ShouldBeNull();
}
