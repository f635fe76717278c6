using Trawl.Logging;
using System.Net.Sockets;
using Trawl.Downloader;

namespace Trawl.Tests.Downloader;

public sealed class DownloadErrorsTests
{
    public static TheoryData<Exception, DownloadError> Exceptions => new()
    {
        { new HttpRequestException(HttpRequestError.NameResolutionError, "nope"), DownloadError.Dns },
        { new HttpRequestException("wrapped", new SocketException((int)SocketError.HostNotFound)), DownloadError.Dns },
        { new HttpRequestException("wrapped", new SocketException((int)SocketError.TryAgain)), DownloadError.Dns },
        { new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused)), DownloadError.Refused },
        { new HttpRequestException(HttpRequestError.ConnectionError, "unreachable", new SocketException((int)SocketError.NetworkUnreachable)), DownloadError.Network },
        { new HttpRequestException(HttpRequestError.ResponseEnded, "ended"), DownloadError.Reset },
        { new HttpIOException(HttpRequestError.ResponseEnded, "ended"), DownloadError.Reset },
        { new IOException("read failed", new SocketException((int)SocketError.ConnectionReset)), DownloadError.Reset },
        { new IOException("read failed"), DownloadError.Reset },
        { new HttpRequestException(HttpRequestError.InvalidResponse, "bad status line"), DownloadError.Protocol },
        { new HttpIOException(HttpRequestError.InvalidResponse, "bad chunk"), DownloadError.Protocol },
        { new InvalidDataException("bad gzip"), DownloadError.Protocol },
        { new TaskCanceledException("connect", new TimeoutException("connect timed out")), DownloadError.Timeout },
        { new HttpRequestException(HttpRequestError.SecureConnectionError, "tls"), DownloadError.Network },
        { new HttpRequestException("something else"), DownloadError.Network },
        { new OperationCanceledException("disposed"), DownloadError.Cancelled },

        // Out of file descriptors: EMFILE as the socket layer reports it, and as a file's IOException (errno 24).
        { new HttpRequestException(HttpRequestError.ConnectionError, "Too many open files", new SocketException((int)SocketError.TooManyOpenSockets)), DownloadError.TooManyOpenFiles },
        { new IOException("Too many open files", 24), DownloadError.TooManyOpenFiles },
    };

    [Fact]
    public void OutOfFileDescriptors_HasItsOwnKind_AndSaysSo()
    {
        var url = new Uri("http://example.com/page?secret=1");
        var exception = new HttpRequestException(HttpRequestError.ConnectionError, "Too many open files in system", new SocketException((int)SocketError.TooManyOpenSockets));
        var kind = DownloadErrors.Classify(exception, callerCancelled: false, timedOut: false);

        DownloadResult.KindName(kind).ShouldBe("too_many_open_files");
        var message = DownloadErrors.Describe(kind, url, exception);
        message.ShouldContain("out of file descriptors");
        message.ShouldContain("ulimit -n");
        message.ShouldContain("http://example.com/page");
        message.ShouldNotContain("secret");
        DownloadResult.Failure(kind, message).IsTransient.ShouldBeTrue("descriptors are freed as downloads end, so a retry may succeed");
    }

    [Theory]
    [MemberData(nameof(Exceptions))]
    public void Classify_MapsExceptionsToKinds(Exception exception, DownloadError expected)
    {
        DownloadErrors.Classify(exception, callerCancelled: false, timedOut: false).ShouldBe(expected);
    }

    [Fact]
    public void Classify_CallerCancellation_WinsOverEverything()
    {
        DownloadErrors.Classify(new IOException("broken"), callerCancelled: true, timedOut: true).ShouldBe(DownloadError.Cancelled);
    }

    [Fact]
    public void Classify_OwnTimeout_WinsOverTheException()
    {
        DownloadErrors.Classify(new TaskCanceledException(), callerCancelled: false, timedOut: true).ShouldBe(DownloadError.Timeout);
    }

    [Theory]
    [InlineData("http://user:secret@example.com:8080/a/b?token=1#frag", "http://example.com:8080/a/b")]
    [InlineData("https://example.com/", "https://example.com/")]
    [InlineData("https://example.com", "https://example.com/")]
    [InlineData("https://example.com:443/path%20x?q", "https://example.com/path%20x")]
    public void UrlForLog_LeavesOutUserInfoQueryAndFragment(string url, string expected)
    {
        UrlRedaction.UrlForLog(new Uri(url)).ShouldBe(expected);
    }

    [Fact]
    public void UrlForLog_RelativeUrl_CutsTheQuery()
    {
        UrlRedaction.UrlForLog(new Uri("/a/b?token=1", UriKind.Relative)).ShouldBe("/a/b");
    }

    [Fact]
    public void Describe_NamesTheUrlWithoutSecrets()
    {
        var message = DownloadErrors.Describe(DownloadError.Refused, new Uri("http://u:p@example.com:81/x?y=1"), null);

        message.ShouldContain("example.com:81");
        message.ShouldContain("http://example.com:81/x");
        message.ShouldNotContain("y=1");
        message.ShouldNotContain("u:p");
    }
}
