namespace Trawl.Browser;

/// <summary>The browser a <see cref="BrowserRenderer"/> starts, and how it shares and recycles it.</summary>
public sealed class BrowserOptions
{
    /// <summary>The Chromium (or Chrome) executable. <see cref="BrowserLocator.Find"/> finds one the way <c>trawl</c> does.</summary>
    public required string ExecutablePath { get; init; }

    /// <summary>How many pages render at once (each in its own browser context). Requests past it wait for a page.</summary>
    /// <value>The default is <see cref="DefaultMaxPages"/>: twice the processor count, from 2 to 8 (4 on a 2-core machine).</value>
    public int MaxPages { get; init; } = DefaultMaxPages;

    /// <summary>
    /// The kinds of request a page may not make (Playwright's resource types: <c>image</c>, <c>font</c>, <c>media</c>,
    /// <c>stylesheet</c>, <c>script</c>, <c>xhr</c>, <c>fetch</c>…). Blocking what a crawler does not read saves time
    /// and bandwidth; a page's layout may change without its stylesheets, so they are loaded unless named here.
    /// </summary>
    /// <value>The default is <c>image</c>, <c>font</c> and <c>media</c>.</value>
    public IReadOnlyCollection<string> BlockedResourceTypes { get; init; } = DefaultBlockedResourceTypes;

    /// <summary>
    /// How many renders one page (and its browser context) serves before it is closed and a new one opened. Keeping a
    /// page saves starting a renderer process for every render, but a kept page grows by about a MiB a render.
    /// </summary>
    /// <value>The default is 20. On the benchmark site (BENCHMARKS.md, section 11, "Kept pages"), one render per page
    /// gave 1.5 pages a second at a peak of about 800 MiB; 10 gave 3.8 at 976 MiB; 20 gave 4.8 at 1,038 MiB; no limit
    /// gave 5.0 and kept growing (1.2 GiB after 50 renders a page, 1.5 GiB after 130).</value>
    public int RendersPerPage { get; init; } = 20;

    /// <summary>The browser is started afresh after rendering this many pages (its pages in flight finish first), which bounds what a long crawl leaks.</summary>
    /// <value>The default is 1,000.</value>
    public int RestartAfterPages { get; init; } = 1000;

    /// <summary>
    /// The browser is started afresh once its processes' resident memory, added up, passes this many MiB (checked every
    /// few pages; Linux only). <see langword="null"/> for no limit.
    /// </summary>
    /// <value>The default is 2,048 MiB.</value>
    public int? MaxMemoryMiB { get; init; } = 2048;

    /// <summary>The longest starting the browser may take.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan LaunchTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>More command-line switches for the browser, after Playwright's own.</summary>
    /// <value>The default is none.</value>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Twice the processor count, from 2 to 8.</summary>
    public static int DefaultMaxPages => Math.Clamp(Environment.ProcessorCount * 2, 2, 8);

    /// <summary>The resource types blocked by default: images, fonts and media.</summary>
    public static IReadOnlyCollection<string> DefaultBlockedResourceTypes { get; } = ["image", "font", "media"];

    /// <summary>Checks the options; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(ExecutablePath), nameof(ExecutablePath), "must name the browser's executable");
        Require(MaxPages is >= 1 and <= 256, nameof(MaxPages), "must be between 1 and 256");
        Require(BlockedResourceTypes is not null, nameof(BlockedResourceTypes), "must not be null");
        Require(RestartAfterPages >= 1, nameof(RestartAfterPages), "must be at least 1");
        Require(RendersPerPage >= 1, nameof(RendersPerPage), "must be at least 1");
        Require(MaxMemoryMiB is null or >= 64, nameof(MaxMemoryMiB), "must be at least 64");
        Require(LaunchTimeout > TimeSpan.Zero, nameof(LaunchTimeout), "must be positive");
        Require(Arguments is not null, nameof(Arguments), "must not be null");
    }

    private static void Require(bool condition, string option, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"Browser option {option} {problem}.", option);
        }
    }
}
