using Trawl.Http;

namespace Trawl.Downloader;

/// <summary>Why a download produced no response.</summary>
public enum DownloadError
{
    /// <summary>No error: there is a response (of any HTTP status).</summary>
    None,

    /// <summary>The connect or total timeout passed.</summary>
    Timeout,

    /// <summary>The host name did not resolve.</summary>
    Dns,

    /// <summary>The server refused the connection.</summary>
    Refused,

    /// <summary>The connection was reset or closed mid-response.</summary>
    Reset,

    /// <summary>The body was larger than <see cref="DownloaderOptions.MaxResponseSize"/>.</summary>
    TooLarge,

    /// <summary>More redirects than <see cref="DownloaderOptions.MaxRedirects"/>, or a redirect loop.</summary>
    Redirects,

    /// <summary>A redirect pointed somewhere the crawl may not go (another scheme, or out of scope).</summary>
    RedirectBlocked,

    /// <summary>The server broke the HTTP protocol, or the body could not be decoded.</summary>
    Protocol,

    /// <summary>Another network error.</summary>
    Network,

    /// <summary>The download was cancelled.</summary>
    Cancelled,

    /// <summary>The request could not be sent as given: an invalid method or header. Retrying cannot help.</summary>
    InvalidRequest,

    /// <summary>
    /// The process ran out of file descriptors (too many open files, <c>EMFILE</c>) and could not open a connection:
    /// its limit (<c>ulimit -n</c>) is too low for the crawl's concurrency, or something else holds descriptors.
    /// </summary>
    TooManyOpenFiles,

    /// <summary>
    /// A page being rendered lost its browser: the browser crashed, was killed, or could not be started. Retried, in a
    /// browser started afresh.
    /// </summary>
    BrowserCrashed,

    /// <summary>A page being rendered was not ready within the render timeout (<c>RenderOptions.Timeout</c>). Retried like a timeout.</summary>
    RenderTimeout,
}

/// <summary>The outcome of one download: a response, or an error with its kind. Never an exception.</summary>
public readonly struct DownloadResult
{
    private DownloadResult(Response? response, DownloadError error, string? message)
    {
        Response = response;
        Error = error;
        Message = message;
    }

    /// <summary>The response, when one arrived.</summary>
    public Response? Response { get; }

    /// <summary>The error kind, or <see cref="DownloadError.None"/>.</summary>
    public DownloadError Error { get; }

    /// <summary>What went wrong, in words.</summary>
    public string? Message { get; }

    /// <summary>Whether a response arrived.</summary>
    public bool IsSuccess => Response is not null;

    /// <summary>The error kind as the short string used in stats and job files, for example <c>timeout</c>.</summary>
    public string ErrorKind => KindName(Error);

    /// <summary>A response arrived.</summary>
    public static DownloadResult Success(Response response) => new(response ?? throw new ArgumentNullException(nameof(response)), DownloadError.None, null);

    /// <summary>No response arrived.</summary>
    public static DownloadResult Failure(DownloadError error, string message) => new(null, error, message);

    /// <summary>The short string name of an error kind.</summary>
    public static string KindName(DownloadError error) => error switch
    {
        DownloadError.None => "none",
        DownloadError.Timeout => "timeout",
        DownloadError.Dns => "dns",
        DownloadError.Refused => "refused",
        DownloadError.Reset => "reset",
        DownloadError.TooLarge => "too_large",
        DownloadError.Redirects => "redirects",
        DownloadError.RedirectBlocked => "redirect_blocked",
        DownloadError.Protocol => "protocol",
        DownloadError.Network => "network",
        DownloadError.Cancelled => "cancelled",
        DownloadError.InvalidRequest => "invalid_request",
        DownloadError.TooManyOpenFiles => "too_many_open_files",
        DownloadError.BrowserCrashed => "browser_crashed",
        DownloadError.RenderTimeout => "render_timeout",
        _ => "unknown",
    };

    /// <summary>Whether the error is a network error that retrying may cure.</summary>
    public bool IsTransient => Error is DownloadError.Timeout or DownloadError.Refused or DownloadError.Reset or DownloadError.Network or DownloadError.Dns or DownloadError.Protocol
        or DownloadError.TooManyOpenFiles or DownloadError.BrowserCrashed or DownloadError.RenderTimeout;
}
