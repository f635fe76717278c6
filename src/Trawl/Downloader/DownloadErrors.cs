using Trawl.Logging;
using System.Net.Sockets;
using System.Security.Authentication;
using Trawl.FileSystem;

namespace Trawl.Downloader;

/// <summary>
/// Turns the exceptions of an HTTP stack into <see cref="DownloadError"/> kinds and short messages. The one place
/// that knows which exception means what, so every downloader frontend classifies failures the same way.
/// </summary>
internal static class DownloadErrors
{
    private const int MaxDetailLength = 200;

    /// <summary>Classifies a failed download.</summary>
    /// <param name="exception">What the HTTP stack threw.</param>
    /// <param name="callerCancelled">Whether the caller's token was cancelled; this wins over everything else.</param>
    /// <param name="timedOut">Whether the downloader's own total timeout fired.</param>
    public static DownloadError Classify(Exception exception, bool callerCancelled, bool timedOut)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (callerCancelled)
        {
            return DownloadError.Cancelled;
        }

        if (timedOut)
        {
            return DownloadError.Timeout;
        }

        // Walk outer to inner: the first definite answer wins. Some wrappers (a connection error, a bare
        // IOException) say less than the exception inside them, so they are looked through.
        var sawIo = false;
        for (var current = exception; current is not null; current = current.InnerException)
        {
            DownloadError? kind = current switch
            {
                TimeoutException => DownloadError.Timeout,

                // EMFILE: the socket layer says TooManyOpenSockets, a file's IOException carries the errno.
                IOException io when FileErrors.IsOutOfFileDescriptors(io.HResult) => DownloadError.TooManyOpenFiles,
                SocketException socket => FromSocketError(socket.SocketErrorCode),
                HttpRequestException http => FromHttpRequestError(http.HttpRequestError),
                HttpIOException httpIo => FromHttpRequestError(httpIo.HttpRequestError),
                InvalidDataException => DownloadError.Protocol,

                // A URL System.Uri parsed but cannot encode for the wire, such as a host IDNA rejects.
                UriFormatException => DownloadError.InvalidRequest,

                // BrotliStream reports corrupt input as an InvalidOperationException rather than InvalidDataException.
                InvalidOperationException { Source: { } source } when source.StartsWith("System.IO.Compression", StringComparison.Ordinal)
                    => DownloadError.Protocol,
                AuthenticationException => DownloadError.Network,
                _ => null,
            };

            if (kind is { } definite)
            {
                return definite;
            }

            sawIo |= current is IOException;
        }

        // An IOException with nothing more specific inside is the connection breaking mid-stream. A cancellation
        // that is neither the caller's nor our timeout comes from the downloader being disposed mid-flight.
        if (sawIo)
        {
            return DownloadError.Reset;
        }

        return exception is OperationCanceledException ? DownloadError.Cancelled : DownloadError.Network;
    }

    /// <summary>A short, human-readable description of a failure, naming the URL without its query or password.</summary>
    public static string Describe(DownloadError kind, Uri url, Exception? exception)
    {
        ArgumentNullException.ThrowIfNull(url);
        var safe = UrlRedaction.UrlForLog(url);
        return kind switch
        {
            DownloadError.Timeout => $"Timed out fetching {safe}.",
            DownloadError.Dns => $"Could not resolve host '{url.IdnHost}' ({safe}).",
            DownloadError.Refused => $"Connection refused by {Authority(url)} ({safe}).",
            DownloadError.Reset => $"Connection reset while fetching {safe}.",
            DownloadError.Cancelled => $"Download of {safe} was cancelled.",
            DownloadError.TooLarge => $"Response from {safe} is too large.",
            DownloadError.Protocol => $"Protocol error from {safe}{Detail(exception)}",
            DownloadError.InvalidRequest => $"Invalid request for {safe}{Detail(exception)}",
            DownloadError.TooManyOpenFiles => $"Cannot fetch {safe}: {FileErrors.OutOfFileDescriptorsAdvice}.",
            _ => $"Network error fetching {safe}{Detail(exception)}",
        };
    }

    private static DownloadError? FromSocketError(SocketError error) => error switch
    {
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData => DownloadError.Dns,
        SocketError.ConnectionRefused => DownloadError.Refused,
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => DownloadError.Reset,
        SocketError.TimedOut => DownloadError.Timeout,
        SocketError.TooManyOpenSockets => DownloadError.TooManyOpenFiles,
        _ => DownloadError.Network,
    };

    // Null means "look at the inner exception": a connection error is refused, reset or unreachable depending on the
    // socket error inside it, and an unknown error says nothing.
    private static DownloadError? FromHttpRequestError(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => DownloadError.Dns,
        HttpRequestError.ResponseEnded => DownloadError.Reset,
        HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.VersionNegotiationError
            or HttpRequestError.ConfigurationLimitExceeded => DownloadError.Protocol,
        HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError or HttpRequestError.UserAuthenticationError
            => DownloadError.Network,
        _ => null,
    };

    private static string Authority(Uri url) => url.IsDefaultPort ? url.IdnHost : $"{url.IdnHost}:{url.Port}";

    // Exception messages of the HTTP stack name hosts and ports but not queries; they are still cut short, since a
    // protocol error may quote whatever the server sent.
    private static string Detail(Exception? exception)
    {
        var message = exception?.GetBaseException().Message;
        if (string.IsNullOrWhiteSpace(message))
        {
            return ".";
        }

        message = message.ReplaceLineEndings(" ").Trim();
        return message.Length <= MaxDetailLength ? $": {message}" : $": {message[..MaxDetailLength]}…";
    }
}
