using System.Globalization;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using Trawl.Logging;

namespace Trawl.Http;

/// <summary>The one HTML parser every response uses.</summary>
/// <remarks>
/// <para>The parser has no browsing context with loaders, so parsing never fetches stylesheets, scripts, frames or
/// anything else, and it does not run scripts. It parses decoded text, so a <c>&lt;meta charset&gt;</c> in the
/// document cannot make it re-decode. <see cref="HtmlParser.ParseDocument(string)"/> keeps no state between calls, so
/// one instance serves all threads.</para>
/// <para>Some pages cost far more to parse than their size says (thousands of nested elements cost time quadratic in
/// the depth), so a parse can be given an <see cref="HtmlParseBudget"/>: past its time it stops with an
/// <see cref="HtmlParseLimitException"/>, and once its stop token is cancelled with an
/// <see cref="OperationCanceledException"/>. The budget is checked as elements are created, on the parsing thread.</para>
/// </remarks>
internal static class HtmlParsing
{
    // How many elements are created between two looks at the budget: a look is cheap, but not free.
    private const int CheckEvery = 32;

    private static readonly HtmlParser Parser = new(new HtmlParserOptions
    {
        IsScripting = false,
        IsKeepingSourceReferences = false,
        DisableElementPositionTracking = true,
        OnCreated = static (_, _) => CheckBudget(),
    });

    // The budget of the parse running on this thread, if it has one. ParseDocument(string) runs on the calling thread.
    [ThreadStatic]
    private static TimeProvider? t_time;

    [ThreadStatic]
    private static long t_deadline;

    [ThreadStatic]
    private static TimeSpan t_limit;

    [ThreadStatic]
    private static CancellationToken t_stop;

    [ThreadStatic]
    private static int t_created;

    /// <summary>Parses a whole document.</summary>
    public static IHtmlDocument Parse(string html) => Parse(html, default);

    /// <summary>Parses a whole document within <paramref name="budget"/>.</summary>
    /// <exception cref="HtmlParseLimitException">The parse took longer than the budget allows.</exception>
    /// <exception cref="OperationCanceledException">The budget's stop token was cancelled during the parse.</exception>
    public static IHtmlDocument Parse(string html, HtmlParseBudget budget)
    {
        if (budget.Time is null)
        {
            return Parser.ParseDocument(html);
        }

        budget.Stop.ThrowIfCancellationRequested();
        var now = budget.Time.GetTimestamp();
        var allowed = budget.Limit.TotalSeconds * budget.Time.TimestampFrequency;
        t_time = budget.Time;
        t_deadline = allowed >= long.MaxValue - now ? long.MaxValue : now + (long)allowed;
        t_limit = budget.Limit;
        t_stop = budget.Stop;
        t_created = 0;
        try
        {
            return Parser.ParseDocument(html);
        }
        finally
        {
            t_time = null;
            t_stop = default;
        }
    }

    private static void CheckBudget()
    {
        if (t_time is not { } time || ++t_created % CheckEvery != 0)
        {
            return;
        }

        t_stop.ThrowIfCancellationRequested();
        if (time.GetTimestamp() >= t_deadline)
        {
            throw new HtmlParseLimitException(t_limit, t_created);
        }
    }
}

/// <summary>How long a parse may take, and what stops it early.</summary>
/// <param name="Time">The clock; <see langword="null"/> (the default) for no budget.</param>
/// <param name="Limit">The most time the parse may take.</param>
/// <param name="Stop">Cancelled to stop the parse at once (the crawl is pausing).</param>
internal readonly record struct HtmlParseBudget(TimeProvider? Time, TimeSpan Limit, CancellationToken Stop);

/// <summary>A page took longer to parse than its budget allows; it is not parsed.</summary>
internal sealed class HtmlParseLimitException(TimeSpan limit, int elements)
    : Exception(string.Create(CultureInfo.InvariantCulture, $"The page took longer than {Wording.Duration(limit)} to parse (stopped after {Wording.Count(elements, "element")}); it is not parsed."))
{
    /// <summary>The budget that was exceeded.</summary>
    public TimeSpan Limit { get; } = limit;
}
