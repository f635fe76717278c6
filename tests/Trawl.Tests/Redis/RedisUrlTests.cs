using Trawl.Redis;

namespace Trawl.Tests.Redis;

public sealed class RedisUrlTests
{
    [Fact]
    public void Parse_ReadsHostPortAndDatabase()
    {
        var url = RedisUrl.Parse("redis://cache.internal:6380/3");

        url.Host.ShouldBe("cache.internal");
        url.Port.ShouldBe(6380);
        url.Database.ShouldBe(3);
        url.UseTls.ShouldBeFalse();
        url.HasPassword.ShouldBeFalse();
        url.RedactedUrl.ShouldBe("redis://cache.internal:6380/3");
    }

    [Fact]
    public void Parse_DefaultsToPort6379AndDatabase0()
    {
        var url = RedisUrl.Parse("redis://localhost");

        url.Port.ShouldBe(6379);
        url.Database.ShouldBe(0);
    }

    [Fact]
    public void Rediss_MeansTls()
    {
        var url = RedisUrl.Parse("rediss://redis.example.com:6390/1");
        var options = url.ToConfigurationOptions("test");

        url.UseTls.ShouldBeTrue();
        options.Ssl.ShouldBeTrue();
        options.SslHost.ShouldBe("redis.example.com");
        options.AbortOnConnectFail.ShouldBeFalse();
    }

    [Theory]
    [InlineData("redis://:s3cr%40t@host:6379/0")]
    [InlineData("redis://default:s3cr%40t@host:6379/0")]
    public void Password_IsUsed_ButNeverPrinted(string text)
    {
        var url = RedisUrl.Parse(text);

        url.HasPassword.ShouldBeTrue();
        url.ToConfigurationOptions("test").Password.ShouldBe("s3cr@t");
        url.ToString().ShouldNotContain("s3cr");
        url.RedactedUrl.ShouldContain(":***@host:6379/0");
    }

    [Fact]
    public void AnAclUser_IsSentWithItsPassword_AndOnlyThePasswordIsHidden()
    {
        var url = RedisUrl.Parse("redis://crawler:hunter2@host/0");
        var options = url.ToConfigurationOptions("test");

        url.User.ShouldBe("crawler");
        options.User.ShouldBe("crawler");
        options.Password.ShouldBe("hunter2");
        url.RedactedUrl.ShouldBe("redis://crawler:***@host:6379/0");
        url.ToString().ShouldNotContain("hunter2");
    }

    [Fact]
    public void AUserWithoutAPassword_IsRefused_WithoutEchoingIt()
    {
        // Most likely a password whose colon was forgotten: the message must not print it.
        var ex = Should.Throw<FormatException>(() => RedisUrl.Parse("redis://hunter2@host/0"));

        ex.Message.ShouldContain("without a password");
        ex.Message.ShouldNotContain("hunter2");
    }

    [Fact]
    public void ASingleServer_NeedsNoKeyOrChannelOutsideTheCrawls()
    {
        var options = RedisUrl.Parse("redis://crawler:pw@host/0").ToConfigurationOptions("test");

        options.TieBreaker.ShouldBeEmpty();
        options.ConfigurationChannel.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("http://host:6379/0")]
    [InlineData("redis://host:6379/zero")]
    [InlineData("redis://:hunter2@host:6379/0?ssl=true")]
    [InlineData("not a url hunter2")]
    public void BadUrls_AreRefused_WithoutEchoingThem(string text)
    {
        var ex = Should.Throw<FormatException>(() => RedisUrl.Parse(text));

        ex.Message.ShouldNotContain("hunter2");
        ex.Message.ShouldContain("redis://");
    }

    [Fact]
    public void Options_Validate_NamesTheBadOption()
    {
        Should.Throw<ArgumentException>(() => new RedisFrontierOptions { SpiderName = "a b" }.Validate()).Message.ShouldContain("SpiderName");
        Should.Throw<ArgumentException>(() => new RedisFrontierOptions { LeaseDuration = TimeSpan.Zero }.Validate()).Message.ShouldContain("LeaseDuration");
        Should.Throw<ArgumentException>(() => new RedisFrontierOptions { Url = "redis://:pw@host/x" }.Validate()).Message.ShouldNotContain("pw@");
        Should.Throw<ArgumentException>(() => new RedisFrontierOptions { Dedup = RedisDedup.Bloom, BloomExpectedItems = 10_000_000_000, BloomFalsePositiveRate = 0.0001 }.Validate())
            .Message.ShouldContain("512 MiB");
        Should.Throw<ArgumentException>(() => new RedisDomainLimiterOptions { RequestsPerSecond = 0 }.Validate()).Message.ShouldContain("RequestsPerSecond");
        new RedisFrontierOptions().Validate();
        new RedisDomainLimiterOptions().Validate();
    }
}
