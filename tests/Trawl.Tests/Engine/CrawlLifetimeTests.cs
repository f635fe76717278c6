using Microsoft.Extensions.Logging;
using Trawl.Engine;
using Trawl.Tests.Politeness;

namespace Trawl.Tests.Engine;

public sealed class CrawlLifetimeTests
{
    [Fact]
    public void TheFirstFatalError_Wins_IsLoggedOnce_AndPausesTheRun()
    {
        using var log = new CapturingLoggerProvider();
        using var loggers = log.CreateFactory();
        using var lifetime = EngineParts.Lifetime(logger: loggers.CreateLogger("run"));

        lifetime.StopForError(new IOException("first"));
        lifetime.StopForError(new IOException("second"));

        lifetime.Fatal!.Message.ShouldBe("first");
        lifetime.IsPausing.ShouldBeTrue();
        lifetime.IsAborting.ShouldBeFalse();
        log.Lines.Count(line => line.Contains("cannot continue", StringComparison.Ordinal)).ShouldBe(1);
    }

    [Fact]
    public void AnOperationalError_IsLoggedOnOneLine_WithoutItsStackTrace()
    {
        using var log = new CapturingLoggerProvider();
        using var loggers = log.CreateFactory();
        using var lifetime = EngineParts.Lifetime(logger: loggers.CreateLogger("run"));

        lifetime.StopForError(Thrown(new Trawl.Redis.RedisCrawlLostException("Crawl 'x' is gone from Redis.")));

        var line = log.Lines.ShouldHaveSingleItem();
        line.ShouldContain("Crawl 'x' is gone from Redis.");
        line.ShouldNotContain("RedisCrawlLostException");
        line.ShouldNotContain(" at ");
        line.ShouldNotContain("\n");
    }

    [Fact]
    public void ABug_IsLoggedWithItsStackTrace()
    {
        using var log = new CapturingLoggerProvider();
        using var loggers = log.CreateFactory();
        using var lifetime = EngineParts.Lifetime(logger: loggers.CreateLogger("run"));

        lifetime.StopForError(Thrown(new InvalidOperationException("a bug")));

        var line = log.Lines.ShouldHaveSingleItem();
        line.ShouldContain("System.InvalidOperationException: a bug");
        line.ShouldContain(nameof(Thrown));
    }

    [Fact]
    public void WhatTheCrawlTreatsAsOperational_IsWhatTheTypesSay()
    {
        new Trawl.Redis.RedisCrawlLostException().ShouldBeAssignableTo<IOperationalError>();
        new Trawl.Redis.RedisUnavailableException().ShouldBeAssignableTo<IOperationalError>();
        new Trawl.Items.ItemExportException().ShouldBeAssignableTo<IOperationalError>();
        new InvalidOperationException().ShouldNotBeAssignableTo<IOperationalError>();
    }

    // An exception as the crawl meets it: thrown, so it has a stack trace.
    private static Exception Thrown(Exception exception)
    {
        try
        {
            throw exception;
        }
        catch (Exception caught)
        {
            return caught;
        }
    }

    [Fact]
    public async Task AStopAtOnce_AlsoPauses_AndWakesTheLoop()
    {
        using var abort = new CancellationTokenSource();
        using var lifetime = EngineParts.Lifetime(abort: abort.Token);
        var waiting = lifetime.WaitForWakeAsync(Timeout.InfiniteTimeSpan);

        await abort.CancelAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        lifetime.IsPausing.ShouldBeTrue();
        lifetime.IsAborting.ShouldBeTrue();
    }

    [Fact]
    public async Task AWake_EndsTheLoopsWait_AndOneRungBeforeTheWaitIsNotLost()
    {
        using var lifetime = EngineParts.Lifetime();

        lifetime.Wake();
        lifetime.Wake();
        await lifetime.WaitForWakeAsync(Timeout.InfiniteTimeSpan).WaitAsync(TimeSpan.FromSeconds(30));
        var next = lifetime.WaitForWakeAsync(Timeout.InfiniteTimeSpan);
        next.IsCompleted.ShouldBeFalse("two wakes before a wait count as one");
        lifetime.Wake();
        await next.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ParsesStop_AGraceAfterThePause_AndAtOnceOnAStopAtOnce()
    {
        var time = new Trawl.Tests.Support.FakeTimeProvider();
        using var pause = new CancellationTokenSource();
        using var abort = new CancellationTokenSource();
        using var paused = EngineParts.Lifetime(pause: pause.Token, time: time);
        using var aborted = EngineParts.Lifetime(abort: abort.Token, time: time);

        await pause.CancelAsync();
        paused.IsPausing.ShouldBeTrue();
        paused.ParseStopping.IsCancellationRequested.ShouldBeFalse("pages being parsed get a grace");
        time.Advance(CrawlLifetime.ParseGrace);
        paused.ParseStopping.IsCancellationRequested.ShouldBeTrue();

        await abort.CancelAsync();
        aborted.ParseStopping.IsCancellationRequested.ShouldBeTrue();
    }
}
