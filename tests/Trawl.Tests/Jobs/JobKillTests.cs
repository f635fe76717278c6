using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Tests.Support;

namespace Trawl.Tests.Jobs;

/// <summary>
/// Kills a real process with SIGKILL in the middle of a crawl of a job directory, again and again, then checks that the
/// job resumes with nothing lost and every item committed exactly once.
/// </summary>
/// <remarks>
/// The child process is this test assembly run with <c>dotnet</c>: <see cref="JobKillChild"/> has a module initializer
/// that, when <see cref="JobKillChild.Variable"/> names a job directory, starts a foreground thread that crawls it with a
/// fake workload and exits; the test assembly's own entry point does nothing.
/// </remarks>
public sealed class JobKillTests : JobStoreTestBase
{
    [Fact]
    public async Task KilledThreeTimes_TheCrawlResumes_AndEveryItemIsCommittedExactlyOnce()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // Process.Kill is SIGKILL only on Unix.
        }

        foreach (var commitsBeforeKill in new[] { 3, 9, 15 })
        {
            var reportedSequence = await RunChildAsync(killAfterCommits: commitsBeforeKill);

            await using var store = await JobStore.OpenAsync(JobDir, Options(), Ct);
            var counts = await store.Frontier.GetCountsAsync(Ct);
            counts.Done.ShouldBeLessThan(JobKillChild.TotalRequests, "the child was killed before the crawl ended");
            var items = await ReadAllItemsAsync(store);
            items.Count.ShouldBe((int)counts.Done, "each done request has exactly one item");
            items.Count.ShouldBeGreaterThanOrEqualTo((int)reportedSequence, "everything the child saw committed survives");
            items.Select(i => i.Url).Distinct().Count().ShouldBe(items.Count, "no item is committed twice");
            var state = JsonDocument.Parse((await store.LoadSpiderStateAsync(Ct))!).RootElement.GetProperty("done").GetInt64();
            state.ShouldBe(counts.Done, "the state saved with each batch matches the progress it describes");
            counts.InProgress.ShouldBe(0);
        }

        (await RunChildAsync(killAfterCommits: null)).ShouldBeGreaterThan(0);

        await using var finished = await JobStore.OpenAsync(JobDir, Options(), Ct);
        (await finished.Frontier.GetCountsAsync(Ct)).ShouldBe(new FrontierCounts(0, 0, JobKillChild.TotalRequests, 0, 0));
        var all = await ReadAllItemsAsync(finished);
        all.Select(i => i.Sequence).ShouldBe(Enumerable.Range(1, JobKillChild.TotalRequests).Select(i => (long)i));
        all.Select(i => i.Url).Distinct().Count().ShouldBe(JobKillChild.TotalRequests);
        (await finished.GetMetadataAsync(Ct)).IsFinished.ShouldBeTrue();
    }

    /// <summary>Runs the child until it has reported <paramref name="killAfterCommits"/> commits, then SIGKILLs it; or to the end.</summary>
    /// <returns>The last item sequence the child reported as committed.</returns>
    private async Task<long> RunChildAsync(int? killAfterCommits)
    {
        using var child = TestAssemblyChild.Start(new Dictionary<string, string> { [JobKillChild.Variable] = JobDir });
        var stderr = child.StandardError.ReadToEndAsync(Ct);
        if (killAfterCommits is null)
        {
            child.StandardInput.Close(); // Run freely to the end.
        }

        long lastSequence = 0;
        var commits = 0;
        try
        {
            while (await child.StandardOutput.ReadLineAsync(Ct) is { } line)
            {
                if (!line.StartsWith("committed ", StringComparison.Ordinal))
                {
                    continue;
                }

                lastSequence = long.Parse(line["committed ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                commits++;
                if (killAfterCommits is null)
                {
                    continue;
                }

                // Let the child start its next batch, and kill it while it works on it.
                await child.StandardInput.WriteLineAsync("next");
                await child.StandardInput.FlushAsync(Ct);
                if (commits == killAfterCommits)
                {
                    child.Kill();
                    break;
                }
            }
        }
        finally
        {
            if (!child.HasExited && killAfterCommits is not null)
            {
                child.Kill();
            }

            await child.WaitForExitAsync(Ct);
        }

        if (killAfterCommits is null)
        {
            child.ExitCode.ShouldBe(0, await stderr);
        }
        else
        {
            commits.ShouldBe(killAfterCommits.Value, $"the child ended before it was killed: {await stderr}");
        }

        return lastSequence;
    }

    private async Task<List<(long Sequence, string Url)>> ReadAllItemsAsync(JobStore store)
    {
        var items = new List<(long, string)>();
        for (var after = 0L; (await store.Frontier.ReadItemsAsync(after, 1000, Ct)) is { Count: > 0 } page; after = page[^1].Sequence)
        {
            items.AddRange(page.Select(i => (i.Sequence, JsonDocument.Parse(i.Json).RootElement.GetProperty("url").GetString()!)));
        }

        return items;
    }
}

/// <summary>The child process of <see cref="JobKillTests"/>: a crawl of a fake site, committed batch by batch.</summary>
internal static class JobKillChild
{
    public const string Variable = "TRAWL_TESTS_JOB_KILL_CHILD";

    /// <summary>Start requests; each discovers one detail request, which discovers nothing new.</summary>
    public const int StartRequests = 600;

    public const int TotalRequests = StartRequests * 2;

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
            await RunAsync(directory);
            return 0;
        });
    }

    private static async Task RunAsync(string directory)
    {
        await using var store = await JobStore.OpenAsync(directory, new JobStoreOptions(), CancellationToken.None);
        var frontier = store.Frontier;
        if (store.IsNew)
        {
            await frontier.AddAsync(Enumerable.Range(0, StartRequests).Select(i => new Request($"https://example.com/item/{i}")).ToArray(), CancellationToken.None);
        }

        var done = (await frontier.GetCountsAsync(CancellationToken.None)).Done;
        var freeRunning = false;
        while (await frontier.WaitToLeaseAsync(CancellationToken.None))
        {
            var leases = await frontier.TryLeaseAsync(20, CancellationToken.None);
            var completions = leases.Select(lease => Completion.Done(
                lease,
                200,
                lease.Request.Depth == 0
                    ? [new Request(lease.Request.Url + "/detail") { Depth = 1 }, new Request("https://example.com/item/0")]
                    : [new Request("https://example.com/item/1")],
                [Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { url = lease.Request.Url.AbsoluteUri }))])).ToArray();
            var state = $"{{\"done\":{done + completions.Length}}}";
            var result = await frontier.CompleteAsync(completions, new JobStateUpdate(SpiderStateJson: state), CancellationToken.None);
            done += completions.Length;
            Console.Out.WriteLine($"committed {result.Items[^1].Sequence}");
            Console.Out.Flush();

            // The test says when to go on, so that it can kill this process in the middle of a batch; once it closes
            // standard input, run freely.
            if (!freeRunning && Console.In.ReadLine() is null)
            {
                freeRunning = true;
            }
        }

        await store.MarkFinishedAsync(CancellationToken.None);
    }
}
