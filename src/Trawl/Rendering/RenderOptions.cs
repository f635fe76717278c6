using Trawl.Http;
namespace Trawl.Rendering;

/// <summary>
/// Whether and how a crawl renders pages in a browser (it needs a renderer: <c>CrawlerBuilder.UseRenderer</c>).
/// </summary>
/// <remarks>
/// <para><b>Auto mode</b> fetches each page over plain HTTP first and renders it when the plain page asks for it: the
/// spider's <c>Spider.NeedsRendering</c>, by default an HTML page with a script whose body has almost no text and no links
/// (an app shell, see <see cref="PageSignals"/>). The rendered page is then compared with the plain one: if rendering found
/// more links or much more text, it counts for the page's pattern (its host and its path with the last segment and every
/// number generalized, so <c>/app/item/7</c> and <c>/app/item/8</c> share <c>/app/item/*</c>). After
/// <see cref="AutoLearnAfter"/> such pages in a row, the pattern's pages are rendered at once, without the plain fetch;
/// when rendering added nothing, the pattern's pages stay plain even if they look like shells. Every
/// <see cref="AutoRecheckEvery"/>th page of a learned pattern is checked again both ways, so a section that changes is
/// noticed.</para>
/// </remarks>
public sealed class RenderOptions
{
    private const string Prefix = "Render.";
    private bool _frozen;

    /// <summary>When pages are rendered.</summary>
    /// <value>The default is <see cref="RenderMode.Never"/>.</value>
    public RenderMode Mode { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = RenderMode.Never;

    /// <summary>
    /// A CSS selector a rendered page is ready once it matches. <see langword="null"/> waits until the network is idle
    /// instead. A request's meta <see cref="Http.RequestMeta.RenderWaitFor"/> overrides it.
    /// </summary>
    /// <value>The default is <see langword="null"/>: the network goes idle.</value>
    public string? WaitFor { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>The longest one render may take; past it, the request fails as <c>render_timeout</c> (retried like a timeout).</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan Timeout { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The page actions every rendered page goes through after it is ready and before its DOM is read, in order (scroll,
    /// click, wait for a selector, wait). A request's meta <see cref="Http.RequestMeta.RenderActions"/> replaces the list.
    /// </summary>
    /// <value>The default is none.</value>
    public IReadOnlyList<PageAction> Actions { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = [];

    /// <summary>
    /// Where screenshots go: each rendered page that takes one (see <see cref="Screenshots"/>) is saved there as a full-page
    /// PNG named after its request's fingerprint (<c>FINGERPRINT.png</c>), so a page rendered again after a crash or a retry
    /// overwrites its own file. The response's <see cref="Http.Response.ScreenshotPath"/> gives the path.
    /// </summary>
    /// <value>The default is <see langword="null"/>: no screenshots.</value>
    public string? ScreenshotDirectory { get; set => field = OptionChecks.Set(_frozen, value, Prefix); }

    /// <summary>
    /// Whether a rendered page takes a screenshot (when <see cref="ScreenshotDirectory"/> is set). A request's meta
    /// <see cref="Http.RequestMeta.RenderScreenshot"/> overrides it.
    /// </summary>
    /// <value>The default is <see langword="true"/>: with a directory, every rendered page takes one.</value>
    public bool Screenshots { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = true;

    /// <summary>Auto mode: how many pages of a pattern in a row must be improved by rendering before its pages are rendered at once.</summary>
    /// <value>The default is 2.</value>
    public int AutoLearnAfter { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 2;

    /// <summary>Auto mode: every this many pages of a learned pattern, one is fetched plainly and checked again.</summary>
    /// <value>The default is 100.</value>
    public int AutoRecheckEvery { get; set => field = OptionChecks.Set(_frozen, value, Prefix); } = 100;

    /// <summary>Checks the options; throws one <see cref="ArgumentException"/> naming the first bad one.</summary>
    internal void Validate()
    {
        OptionChecks.Require(Enum.IsDefined(Mode), Prefix + nameof(Mode), "must be Never, Auto or Always");
        OptionChecks.Require(WaitFor is null || !string.IsNullOrWhiteSpace(WaitFor), Prefix + nameof(WaitFor), "must not be empty (null waits for the network to go idle)");
        OptionChecks.Require(Timeout > TimeSpan.Zero && Timeout <= TimeSpan.FromDays(1), Prefix + nameof(Timeout), "must be positive, and at most a day");
        OptionChecks.Require(Actions is not null && Actions.All(static action => action is not null), Prefix + nameof(Actions), "must be a list of page actions, none null");
        OptionChecks.Require(ScreenshotDirectory is null || !string.IsNullOrWhiteSpace(ScreenshotDirectory), Prefix + nameof(ScreenshotDirectory), "must not be empty (null takes no screenshots)");
        OptionChecks.Require(AutoLearnAfter >= 1, Prefix + nameof(AutoLearnAfter), "must be at least 1");
        OptionChecks.Require(AutoRecheckEvery >= 2, Prefix + nameof(AutoRecheckEvery), "must be at least 2");
    }

    /// <summary>Refuses every later change.</summary>
    internal void Freeze() => _frozen = true;
}
