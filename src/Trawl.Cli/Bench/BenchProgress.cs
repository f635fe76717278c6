using System.Globalization;
using Spectre.Console;
using Trawl.Cli.Hosting;

namespace Trawl.Cli.Bench;

/// <summary>
/// Shows a benchmark's progress on standard error: a live status line on a terminal, or a plain line at the start and
/// end of each run and every few seconds in between when it is redirected.
/// </summary>
internal abstract class BenchProgress
{
    /// <summary>Runs <paramref name="bench"/> with the display that suits <paramref name="error"/>.</summary>
    public static async Task<T> RunAsync<T>(TextWriter error, Func<BenchProgress, Task<T>> bench)
    {
        if (!ReferenceEquals(error, Console.Error) || !ProgressDisplay.IsInteractive)
        {
            return await bench(new Plain(error, TimeProvider.System)).ConfigureAwait(false);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Status().StartAsync("Starting", async context =>
        {
            result = await bench(new Live(console, context)).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result;
    }

    /// <summary>Says something once.</summary>
    public abstract void Note(string text);

    /// <summary>A run starts.</summary>
    public abstract void Started(string run);

    /// <summary>A run reported its progress.</summary>
    public abstract void Sample(string run, BenchSample sample, long sitePages);

    /// <summary>A run ended.</summary>
    public void Finished(string run, BenchFigures figures) =>
        Note(string.Create(CultureInfo.InvariantCulture, $"{run}: {figures.Pages:N0} pages in {figures.Seconds:0.00} s, {figures.PagesPerSecond:N0} pages/s"));

    protected static string Describe(string run, BenchSample sample, long sitePages) =>
        string.Create(CultureInfo.InvariantCulture, $"{run}: {sample.Pages:N0} of {sitePages:N0} pages, {sample.Seconds:0} s, RSS {sample.ResidentKib / 1024.0:N0} MiB");

    private sealed class Plain(TextWriter error, TimeProvider time) : BenchProgress
    {
        private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
        private long _last = time.GetTimestamp();

        public override void Note(string text)
        {
            lock (error)
            {
                error.WriteLine($"bench: {text}");
                error.Flush();
            }
        }

        public override void Started(string run)
        {
            Interlocked.Exchange(ref _last, time.GetTimestamp());
            Note($"{run}: started");
        }

        public override void Sample(string run, BenchSample sample, long sitePages)
        {
            var now = time.GetTimestamp();
            if (time.GetElapsedTime(Interlocked.Read(ref _last), now) >= Every)
            {
                Interlocked.Exchange(ref _last, now);
                Note(Describe(run, sample, sitePages));
            }
        }
    }

    private sealed class Live(IAnsiConsole console, StatusContext context) : BenchProgress
    {
        public override void Note(string text) => console.MarkupLine(Markup.Escape(text));

        public override void Started(string run) => context.Status(Markup.Escape($"{run}: starting"));

        public override void Sample(string run, BenchSample sample, long sitePages) => context.Status(Markup.Escape(Describe(run, sample, sitePages)));
    }
}
