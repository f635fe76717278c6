using Trawl.Downloader;
using Trawl.Http;
using Trawl.Tests.Support;

namespace Trawl.Tests.Downloader;

/// <summary>The downloader reserves each body's bytes in the crawl's budget as they arrive.</summary>
[Collection(DownloaderServerCollection.Name)]
public sealed class HttpDownloaderBudgetTests(DownloaderServer server)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Theory]
    [InlineData("/chunked?size=300001", 300_001)]
    [InlineData("/sized?size=2500000", 2_500_000)]
    public async Task Body_WaitsWhileTheBudgetIsUsed_AndTheWaitDoesNotCountTowardTheTimeout(string path, int size)
    {
        var time = new FakeTimeProvider();
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = TimeSpan.FromSeconds(30) }, timeProvider: time);
        var budget = new ResponseByteBudget(64 * 1024);
        var holder = budget.Open();
        await holder.ReserveAsync(64 * 1024, None);
        using var share = budget.Open();

        var download = downloader.DownloadAsync(new Request(server.Url(path)), share, None).AsTask();
        await Waiting.UntilAsync(() => budget.Waiting == 1 || download.IsCompleted, Waiting.Generous, "the body to wait for the budget");
        download.IsCompleted.ShouldBeFalse();

        // Ten minutes pass while it waits: far past the 30 s timeout, which must not count the wait.
        time.Advance(TimeSpan.FromMinutes(10));
        download.IsCompleted.ShouldBeFalse();
        holder.Dispose();
        var result = await download.WaitAsync(Waiting.Generous);

        result.Error.ShouldBe(DownloadError.None, result.Message);
        result.Response!.Body.Length.ShouldBe(size);
        if (path.StartsWith("/sized", StringComparison.Ordinal))
        {
            result.Response.Body.ToArray().ShouldBe(DownloaderServer.Sized(size));
        }

        share.Held.ShouldBe(size);
        budget.InUse.ShouldBe(size);
    }

    [Fact]
    public async Task Body_LargerThanTheWholeBudget_IsDownloadedAlone()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { Timeout = Waiting.Generous });
        var budget = new ResponseByteBudget(16 * 1024);
        using var share = budget.Open();

        var result = await downloader.DownloadAsync(new Request(server.Url("/sized?size=3000000")), share, None);

        result.Error.ShouldBe(DownloadError.None, result.Message);
        result.Response!.Body.ToArray().ShouldBe(DownloaderServer.Sized(3_000_000));
        budget.InUse.ShouldBe(3_000_000);
    }

    [Fact]
    public async Task TooLargeBody_FailsAsBefore_AndItsShareGivesEverythingBack()
    {
        using var downloader = new HttpDownloader(new DownloaderOptions { MaxResponseSize = 1024 * 1024, Timeout = Waiting.Generous });
        var budget = new ResponseByteBudget(8 * 1024 * 1024);
        var share = budget.Open();

        var result = await downloader.DownloadAsync(new Request(server.Url("/chunked?size=8000000")), share, None);
        share.Dispose();

        result.Error.ShouldBe(DownloadError.TooLarge);
        budget.InUse.ShouldBe(0);
    }
}
