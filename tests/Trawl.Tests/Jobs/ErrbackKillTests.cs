using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Jobs;

/// <summary>
/// A crawl whose requests fail, SIGKILLed while their error callbacks run, then resumed: what each error callback
/// yields is committed exactly once, with its request's failure.
/// </summary>
/// <remarks>
/// The child process is this test assembly run with <c>dotnet</c> (as in <see cref="JobKillTests"/>): a module
/// initializer crawls the sandbox into a job directory when <see cref="ErrbackKillChild.Variable"/> names one. Each
/// error callback says so on standard output and waits for a line on standard input, so the test kills the child
/// while error callbacks are held in the middle; once standard input is closed they run freely.
/// </remarks>
public sealed class ErrbackKillTests : JobStoreTestBase
{
    [Fact]
    public async Task Resume_AfterKillDuringErrorCallbacks_CommitsEachErrorCallbacksOutputOnce()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // Process.Kill is SIGKILL only on Unix.
        }

        await using var site = await TestSites.StartAsync(pages: ErrbackKillChild.Pages);

        var firstRun = await RunChildAsync(site.BaseUrl, killAfterErrbacks: 12);
        firstRun.ShouldBe(12);
        await using (var killed = await JobStore.OpenAsync(JobDir, Options(), Ct))
        {
            (await killed.GetMetadataAsync(Ct)).IsFinished.ShouldBeFalse("the child was killed before the crawl ended");
            (await killed.Frontier.GetCountsAsync(Ct)).Failed.ShouldBeLessThan(ErrbackKillChild.Failing);
        }

        var secondRun = await RunChildAsync(site.BaseUrl, killAfterErrbacks: null);
        (firstRun + secondRun).ShouldBeGreaterThan(ErrbackKillChild.Failing, "the error callbacks held when the child was killed ran again");

        await using var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
        (await store.GetMetadataAsync(Ct)).IsFinished.ShouldBeTrue();
        var counts = await store.Frontier.GetCountsAsync(Ct);
        counts.Failed.ShouldBe(ErrbackKillChild.Failing);
        counts.Pending.ShouldBe(0);
        counts.InProgress.ShouldBe(0);
        var items = new List<JsonNode>();
        for (var after = 0L; (await store.Frontier.ReadItemsAsync(after, 1000, Ct)) is { Count: > 0 } page; after = page[^1].Sequence)
        {
            items.AddRange(page.Select(item => JsonNode.Parse(item.Json)!));
        }

        var failed = items.Where(item => item["failed"] is not null).Select(item => item["failed"]!.GetValue<string>()).ToList();
        failed.Count.ShouldBe(ErrbackKillChild.Failing, "each error callback's item once");
        failed.Distinct().Count().ShouldBe(ErrbackKillChild.Failing);

        // The pages the error callbacks asked for were crawled, each once.
        var pages = items.Where(item => item["page"] is not null).Select(item => new Uri(item["page"]!.GetValue<string>()).AbsolutePath).ToList();
        pages.ShouldBe(Enumerable.Range(0, ErrbackKillChild.Pages).Select(i => $"/pages/{i}"), ignoreOrder: true);
    }

    /// <summary>Runs the child until <paramref name="killAfterErrbacks"/> error callbacks have started, then SIGKILLs it; or to the end.</summary>
    /// <returns>How many error callbacks started in the child.</returns>
    private async Task<int> RunChildAsync(Uri site, int? killAfterErrbacks)
    {
        using var child = TestAssemblyChild.Start(new Dictionary<string, string> { [ErrbackKillChild.Variable] = JobDir, [ErrbackKillChild.SiteVariable] = site.AbsoluteUri });
        var stderr = child.StandardError.ReadToEndAsync(Ct);
        if (killAfterErrbacks is null)
        {
            child.StandardInput.Close();
        }

        var errbacks = 0;
        try
        {
            while (await child.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                if (!line.StartsWith("errback ", StringComparison.Ordinal))
                {
                    continue;
                }

                errbacks++;
                if (killAfterErrbacks is null)
                {
                    continue;
                }

                if (errbacks == killAfterErrbacks)
                {
                    // Held in its error callback, with others perhaps done but not yet committed.
                    child.Kill();
                    break;
                }

                await child.StandardInput.WriteLineAsync("next");
                await child.StandardInput.FlushAsync(Ct);
            }
        }
        finally
        {
            if (!child.HasExited && killAfterErrbacks is not null)
            {
                child.Kill();
            }

            await child.WaitForExitAsync(Ct);
        }

        if (killAfterErrbacks is null)
        {
            child.ExitCode.ShouldBe(0, await stderr);
        }

        return errbacks;
    }
}

/// <summary>The child process of <see cref="ErrbackKillTests"/>: a crawl of the sandbox whose failing requests have error callbacks.</summary>
internal static class ErrbackKillChild
{
    public const string Variable = "TRAWL_TESTS_ERRBACK_KILL_CHILD";

    public const string SiteVariable = "TRAWL_TESTS_ERRBACK_KILL_SITE";

    /// <summary>Requests that answer 404, each with an error callback.</summary>
    public const int Failing = 30;

    /// <summary>The sandbox's pages; the error callbacks ask for them.</summary>
    public const int Pages = 5;

#pragma warning disable CA2255 // A module initializer in a test assembly is how the child process gets its own entry point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunIfChild()
    {
        var directory = Environment.GetEnvironmentVariable(Variable);
        if (directory is null)
        {
            return;
        }

        TestAssemblyChild.Run(async () =>
        {
            var site = new Uri(Environment.GetEnvironmentVariable(SiteVariable)!);
            var options = new CrawlOptions { JobDir = directory, KeepJob = true, HandleSignals = false, CheckpointInterval = TimeSpan.FromMilliseconds(50) };
            var result = await new CrawlerBuilder(new GoneSpider(site), options).Build().RunAsync();
            return result.Paused ? 75 : 0;
        });
    }

    private sealed class GoneSpider(Uri site) : Spider
    {
        private static readonly SemaphoreSlim Gate = new(1, 1);
        private static bool _freeRunning;

        public override IEnumerable<Request> StartRequests() =>
            Enumerable.Range(0, Failing).Select(i => new Request(new Uri(site, $"/gone/{i}")) { Errback = nameof(OnGoneAsync) });

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield return new { page = response.Url.AbsoluteUri };
        }

        private async IAsyncEnumerable<object> OnGoneAsync(RequestFailure failure, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Gate.WaitAsync(cancellationToken);
            try
            {
                Console.Out.WriteLine("errback " + failure.Request.Url.AbsolutePath);
                Console.Out.Flush();

                // The test says when to go on, so that it can kill this process while an error callback is held.
                if (!_freeRunning && Console.In.ReadLine() is null)
                {
                    _freeRunning = true;
                }
            }
            finally
            {
                Gate.Release();
            }

            var index = int.Parse(failure.Request.Url.Segments[^1], System.Globalization.CultureInfo.InvariantCulture);
            yield return new { failed = failure.Request.Url.AbsoluteUri, kind = failure.Kind };
            yield return new Request(new Uri(site, $"/pages/{index % Pages}"));
        }
    }
}
