using Trawl.Logging;

namespace Trawl.Tests.Logging;

public sealed class WordingTests
{
    [Theory]
    [InlineData(0, "0 attempts")]
    [InlineData(1, "1 attempt")]
    [InlineData(2, "2 attempts")]
    [InlineData(1024, "1,024 attempts")]
    [InlineData(-1, "-1 attempts")]
    public void Count_IsSingularForOne_AndGroupsThousands(long count, string expected) =>
        Wording.Count(count, "attempt").ShouldBe(expected);

    [Fact]
    public void Count_TakesAnIrregularPlural() =>
        (Wording.Count(1, "entry", "entries"), Wording.Count(3, "entry", "entries")).ShouldBe(("1 entry", "3 entries"));

    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(-5_000, "0 s")]
    [InlineData(0.4, "1 ms")]
    [InlineData(250, "250 ms")]
    [InlineData(999.9, "999 ms")]
    [InlineData(1_000, "1 s")]
    [InlineData(1_500, "1.5 s")]
    [InlineData(59_988.1988, "59.9 s")]
    [InlineData(60_000, "1 min")]
    [InlineData(90_000, "1 min 30 s")]
    [InlineData(120_000, "2 min")]
    [InlineData(3_599_999, "59 min 59 s")]
    [InlineData(3_600_000, "1 h")]
    [InlineData(11_100_000, "3 h 5 min")]
    [InlineData(86_400_000, "1 d")]
    [InlineData(187_200_000, "2 d 4 h")]
    public void Duration_SaysItAtThePrecisionThatMattersForItsSize(double milliseconds, string expected) =>
        Wording.Duration(TimeSpan.FromMilliseconds(milliseconds)).ShouldBe(expected);

    [Fact]
    public void Duration_OfForEver_SaysSo()
    {
        Wording.Duration(Timeout.InfiniteTimeSpan).ShouldBe("for ever");
        Wording.Duration(TimeSpan.MaxValue).ShouldBe("for ever");
    }
}

/// <summary>The log messages that carry counts and durations say them through <see cref="Wording"/>.</summary>
public sealed class LogWordingTests
{
    [Fact]
    public void AGiveUpAfterOneAttempt_IsSingular_AndARetrySaysItsWaitHumanly()
    {
        var log = new Trawl.Tests.Redis.CapturingLoggerProvider();
        var logger = log.CreateLogger("test");

        Log.RequestFailed(logger, "http://example.com/", 1, "refused", "Connection refused");
        Log.Retrying(logger, "http://example.com/", 1, "refused", "Connection refused", TimeSpan.FromMilliseconds(59_988.1988));
        Log.ProxySetupChanged(logger, "/jobs/a", "direct", "http://p:8080", 1);

        log.AllText.ShouldContain("Gave up on http://example.com/ after 1 attempt: refused");
        log.AllText.ShouldContain("next try in 59.9 s.");
        log.AllText.ShouldContain("1 failed request back to pending");
        log.AllText.ShouldNotContain("00:00:");
    }

    [Fact]
    public void RedisMessages_SayCountsAndDurationsTheSameWay()
    {
        var log = new Trawl.Tests.Redis.CapturingLoggerProvider();
        var logger = log.CreateLogger("test");

        Trawl.Redis.Log.OperationRecovered(logger, "complete", 5, TimeSpan.FromSeconds(3.25));
        Trawl.Redis.Log.LeasesReclaimed(logger, "w1", 1);

        log.AllText.ShouldContain("Redis complete succeeded after 5 attempts (3.2 s).");
        log.AllText.ShouldContain("took back 1 lease of its previous run");
    }

    [Fact]
    public void AMessageThatIsOff_IsNotFormatted()
    {
        var logger = new CountingLogger();

        Log.Retrying(logger, "http://example.com/", 1, "refused", "Connection refused", TimeSpan.FromSeconds(1));

        logger.Logged.ShouldBe(0);
        logger.Asked.ShouldBe(1);
    }

    private sealed class CountingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public int Asked { get; private set; }

        public int Logged { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel)
        {
            Asked++;
            return false;
        }

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => Logged++;
    }
}
