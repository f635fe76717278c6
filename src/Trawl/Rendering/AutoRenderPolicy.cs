using System.Collections.Concurrent;
using System.Text;

namespace Trawl.Rendering;

/// <summary>How auto mode fetches one page.</summary>
internal enum AutoChoice
{
    /// <summary>Fetch it over plain HTTP, and render it too if the plain page needs it.</summary>
    PlainFirst,

    /// <summary>Fetch it over plain HTTP, and keep that: its pattern's pages were found not to gain from rendering.</summary>
    PlainOnly,

    /// <summary>Render it at once: its pattern's pages were found to need it.</summary>
    Render,
}

/// <summary>What a page fetched plainly first taught about its pattern.</summary>
internal enum AutoLesson
{
    /// <summary>The plain page did not ask to be rendered.</summary>
    PlainSufficed,

    /// <summary>It asked, was rendered, and rendering gave more links or text.</summary>
    RenderingHelped,

    /// <summary>It asked, was rendered, and rendering gave nothing more.</summary>
    RenderingDidNotHelp,
}

/// <summary>
/// Auto mode's memory: per host and path pattern, whether its pages need rendering (see <see cref="RenderOptions"/>).
/// Safe for concurrent use. Lives for one run: a resumed crawl learns again, which costs a few pages per pattern.
/// </summary>
internal sealed class AutoRenderPolicy(int learnAfter, int recheckEvery)
{
    // A crawl of a hostile site could make up patterns without end; past this many, new ones are not remembered (their
    // pages are fetched plainly first, as for an unknown pattern).
    private const int MaxPatterns = 100_000;

    private readonly ConcurrentDictionary<string, Pattern> _patterns = new(StringComparer.Ordinal);

    /// <summary>The patterns learned so far, and whether each needs rendering; for logs and tests.</summary>
    public IReadOnlyDictionary<string, bool> Learned =>
        _patterns.Where(static p => p.Value.Verdict != Verdict.Unknown).ToDictionary(static p => p.Key, static p => p.Value.Verdict == Verdict.Render, StringComparer.Ordinal);

    /// <summary>
    /// The pattern of a URL: scheme, host and port, then the path with its last segment replaced by <c>*</c> and every
    /// run of digits in the others by <c>#</c>. <c>/app/item/7</c> and <c>/app/item/8</c> share <c>/app/item/*</c>;
    /// <c>/shop/2024/a</c> and <c>/shop/2025/b</c> share <c>/shop/#/*</c>. The query is left out.
    /// </summary>
    public static string PatternOf(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var path = url.AbsolutePath;
        var lastSlash = path.LastIndexOf('/');
        var directory = path.AsSpan(0, lastSlash + 1);
        var pattern = new StringBuilder(url.Scheme.Length + url.Authority.Length + path.Length + 4)
            .Append(url.Scheme).Append("://").Append(url.Authority);
        var inDigits = false;
        foreach (var c in directory)
        {
            if (char.IsAsciiDigit(c))
            {
                if (!inDigits)
                {
                    pattern.Append('#');
                }

                inDigits = true;
                continue;
            }

            inDigits = false;
            pattern.Append(c);
        }

        // The root page, and a directory's index, are patterns of their own: a section's index often differs from its pages.
        return lastSlash == path.Length - 1 ? pattern.ToString() : pattern.Append('*').ToString();
    }

    /// <summary>How to fetch the next page of <paramref name="pattern"/>.</summary>
    public AutoChoice Choose(string pattern)
    {
        if (!_patterns.TryGetValue(pattern, out var state))
        {
            return AutoChoice.PlainFirst;
        }

        lock (state)
        {
            if (state.Verdict == Verdict.Unknown)
            {
                return AutoChoice.PlainFirst;
            }

            // Now and then a learned pattern is checked again both ways, so a section that changed is noticed.
            if (++state.SinceLearned % recheckEvery == 0)
            {
                return AutoChoice.PlainFirst;
            }

            return state.Verdict == Verdict.Render ? AutoChoice.Render : AutoChoice.PlainOnly;
        }
    }

    /// <summary>Records what a page of <paramref name="pattern"/> fetched plainly first taught.</summary>
    public void Learn(string pattern, AutoLesson lesson)
    {
        if (!_patterns.TryGetValue(pattern, out var state))
        {
            if (lesson == AutoLesson.PlainSufficed || _patterns.Count >= MaxPatterns)
            {
                // Nothing to remember: an unknown pattern is fetched plainly first anyway.
                return;
            }

            state = _patterns.GetOrAdd(pattern, static _ => new Pattern());
        }

        lock (state)
        {
            switch (lesson)
            {
                case AutoLesson.RenderingHelped:
                    if (state.Verdict != Verdict.Render && ++state.Helped >= learnAfter)
                    {
                        state.Verdict = Verdict.Render;
                        state.SinceLearned = 0;
                    }

                    break;
                case AutoLesson.RenderingDidNotHelp:
                    state.Verdict = Verdict.Plain;
                    state.Helped = 0;
                    state.SinceLearned = 0;
                    break;
                default:
                    // A page of the pattern no longer needs rendering: what was learned no longer holds.
                    state.Verdict = Verdict.Unknown;
                    state.Helped = 0;
                    break;
            }
        }
    }

    private enum Verdict
    {
        Unknown,
        Render,
        Plain,
    }

    private sealed class Pattern
    {
        public Verdict Verdict { get; set; }

        public int Helped { get; set; }

        public long SinceLearned { get; set; }
    }
}
