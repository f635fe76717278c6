using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using Trawl.Engine;

namespace Trawl.Cli.Hosting;

/// <summary>
/// Shows a running crawl: a live display on a terminal, or a plain log line every few seconds when output is redirected.
/// </summary>
/// <remarks>
/// The live display owns the terminal while it runs. Log messages reach it through the <see cref="DisplayLoggerProvider"/>
/// and are written above it, one batch at a time, by the same loop that redraws it, so no line lands in the middle of
/// the table. When the crawl is over the display is erased and its final frame written once, as ordinary output.
/// </remarks>
internal static class ProgressDisplay
{
    private static readonly TimeSpan PlainEvery = TimeSpan.FromSeconds(5);

    // Messages and reports that come in a burst are drawn together, at most this often.
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);

    /// <summary>Whether standard error is a terminal, so a live display can be drawn.</summary>
    public static bool IsInteractive => !Console.IsErrorRedirected && !string.Equals(Environment.GetEnvironmentVariable("TERM"), "dumb", StringComparison.Ordinal);

    /// <summary>The console the live display draws on: standard error.</summary>
    public static IAnsiConsole CreateConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs <paramref name="crawl"/>, logging its progress every few seconds.</summary>
    public static Task<CrawlResult> RunPlainAsync(ILogger logger, Func<IProgress<CrawlProgress>, Task<CrawlResult>> crawl) =>
        crawl(new PlainReporter(logger, TimeProvider.System));

    /// <summary>
    /// Runs <paramref name="crawl"/> under a live display on <paramref name="console"/>, with the messages of
    /// <paramref name="log"/> written above it; leaves the final frame on the screen.
    /// </summary>
    public static async Task<CrawlResult> RunLiveAsync(IAnsiConsole console, string title, DisplayLoggerProvider log, Func<IProgress<CrawlProgress>, Task<CrawlResult>> crawl)
    {
        var reporter = new LiveReporter();
        var live = console.Live(ProgressView.Live(title, null, console.Profile.Height, console.Profile.Width))
            .AutoClear(true)
            .Overflow(VerticalOverflow.Crop)
            .Cropping(VerticalOverflowCropping.Bottom);
        log.Attach(reporter.Signal);
        CrawlResult result;
        try
        {
            result = await live.StartAsync(async context =>
            {
                var running = crawl(reporter);
                while (!running.IsCompleted)
                {
                    await Task.WhenAny(running, reporter.WaitAsync()).ConfigureAwait(false);
                    Draw(console, context, title, log, reporter);
                    if (!running.IsCompleted)
                    {
                        await Task.WhenAny(running, Task.Delay(RedrawEvery)).ConfigureAwait(false);
                    }
                }

                Draw(console, context, title, log, reporter);
                return await running.ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        finally
        {
            // The display is erased by now: what is still held, and what comes later, goes to the console as it is.
            log.Detach();
        }

        console.Write(ProgressView.Final(title, reporter.Latest, console.Profile.Width));
        return result;
    }

    private static void Draw(IAnsiConsole console, LiveDisplayContext context, string title, DisplayLoggerProvider log, LiveReporter reporter)
    {
        if (reporter.TakeChanged() is { } progress)
        {
            context.UpdateTarget(ProgressView.Live(title, progress, console.Profile.Height, console.Profile.Width));
        }

        if (log.Drain() is { Count: > 0 } lines)
        {
            console.Write(ProgressView.Lines(lines));
        }
    }

    /// <summary>Keeps the last report for the display's loop, and wakes it when a report or a message comes.</summary>
    private sealed class LiveReporter : IProgress<CrawlProgress>
    {
        private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        private CrawlProgress? _latest;
        private CrawlProgress? _changed;

        /// <summary>The last report.</summary>
        public CrawlProgress? Latest => Volatile.Read(ref _latest);

        public void Report(CrawlProgress value)
        {
            Volatile.Write(ref _latest, value);
            Volatile.Write(ref _changed, value);
            Signal();
        }

        public void Signal() => _signal.Writer.TryWrite(true);

        /// <summary>Waits for the next report or message.</summary>
        public Task WaitAsync() => _signal.Reader.ReadAsync().AsTask();

        /// <summary>The last report if it has not been drawn yet.</summary>
        public CrawlProgress? TakeChanged() => Interlocked.Exchange(ref _changed, null);
    }

    private sealed class PlainReporter(ILogger logger, TimeProvider time) : IProgress<CrawlProgress>
    {
        private long _last = time.GetTimestamp();

        public void Report(CrawlProgress value)
        {
            if (value.Stopping && value.InFlight == 0)
            {
                return;
            }

            var now = time.GetTimestamp();
            if (time.GetElapsedTime(Interlocked.Read(ref _last), now) < PlainEvery)
            {
                return;
            }

            Interlocked.Exchange(ref _last, now);
            var stats = value.Stats;
            Log.Progress(
                logger,
                stats.Pages,
                stats.Items,
                value.CurrentPagesPerSecond,
                ProgressView.BytesPerSecond(value.CurrentBytesPerSecond),
                value.Queued,
                value.InFlight,
                stats.Failed,
                stats.Retries,
                value.EstimatedTimeLeft is { } left ? ProgressView.Duration(left) : "unknown");
        }
    }
}
