using System.Text;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

public sealed class SeedMessageTests
{
    [Fact]
    public void PlainUrl_IsARequestForIt()
    {
        SeedMessage.TryParse(Encoding.UTF8.GetBytes("  https://example.com/a?b=1 \n"), out var request, out _).ShouldBeTrue();

        request.Url.AbsoluteUri.ShouldBe("https://example.com/a?b=1");
        request.Method.ShouldBe("GET");
    }

    [Fact]
    public void JsonRequest_KeepsItsMembers()
    {
        var json = """{"url": "https://example.com/p", "priority": 5, "meta": {"source": "feed"}, "callback": "ParseItem"}""";

        SeedMessage.TryParse(Encoding.UTF8.GetBytes(json), out var request, out _).ShouldBeTrue();

        request.Url.AbsoluteUri.ShouldBe("https://example.com/p");
        request.Priority.ShouldBe(5);
        request.Callback.ShouldBe("ParseItem");
        request.GetMeta<string>("source").ShouldBe("feed");
    }

    [Theory]
    [InlineData(new byte[] { 0xff, 0xfe, 0x68 }, "not UTF-8")]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'u' }, "")]
    [InlineData(new byte[] { (byte)'f', (byte)'t', (byte)'p', (byte)':', (byte)'/', (byte)'/', (byte)'x' }, "")]
    public void NotASeed_SaysWhy(byte[] message, string reasonStart)
    {
        SeedMessage.TryParse(message, out _, out var reason).ShouldBeFalse();

        reason.ShouldNotBeNullOrWhiteSpace();
        reason.ShouldStartWith(reasonStart);
    }
}
