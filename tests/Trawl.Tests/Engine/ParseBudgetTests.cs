using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Jobs;
using Trawl.Spiders;
using Trawl.Tests.Politeness;
using Trawl.Tests.Support;

namespace Trawl.Tests.Engine;

/// <summary>
/// A page whose parse would take minutes (100,000 nested elements after a table cost time quadratic in the depth) fails
/// as <c>parse_limit</c> once <see cref="CrawlOptions.MaxParseTime"/> is up, and a pause does not wait for its parse
/// beyond <see cref="CrawlLifetime.ParseGrace"/> (issue 16, bug 2).
/// </summary>
public sealed class ParseBudgetTests
{
    // A crawl that hangs is stopped at once by this, and then fails its assertions instead of hanging the suite.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(90);

    private static readonly string DeepPage =
        "<html><body><table></table>" + string.Concat(Enumerable.Repeat("<div>", 100_000)) + "<a href=\"/after\">after</a></body></html>";

    [Fact]
    public async Task APageTooDeepToParse_FailsAsParseLimit_CountingAnAttempt_AndTheRestOfTheCrawlCompletes()
    {
        await using var site = Site();
        using var hang = new CancellationTokenSource(HangLimit);
        using var temp = new TempDirectory();
        var options = new CrawlOptions { HandleSignals = false, MaxParseTime = TimeSpan.FromSeconds(1), JobDir = temp.File("job"), KeepJob = true };

        var result = await new CrawlerBuilder(new LinkSpider(site.Url), options).UseAbortToken(hang.Token).Build().RunAsync();

        result.Paused.ShouldBeFalse(result.PauseReason);
        result.Stats.ErrorsByKind["parse_limit"].ShouldBe(1);
        result.Stats.Failed.ShouldBe(1);
        result.Stats.Pages.ShouldBe(2, "the start page and /ok");
        site.Paths.Count(path => path == "/deep").ShouldBe(1, "not retried");
        var status = (await JobStore.ReadStatusAsync(options.JobDir))!;
        status.Metadata.IsFinished.ShouldBeTrue();
        status.TopErrors.ShouldHaveSingleItem().Kind.ShouldBe("parse_limit");
        StoredOutcome(options.JobDir, "/deep").ShouldBe((Status: 3, Attempts: 1));
    }

    [Fact]
    public async Task APauseDuringTheParse_StopsItAfterTheGrace_AndThePageGoesBackToPending_ItsAttemptNotCounted()
    {
        await using var site = Site();
        using var hang = new CancellationTokenSource(HangLimit);
        using var pause = new CancellationTokenSource();
        using var temp = new TempDirectory();
        var options = new CrawlOptions { HandleSignals = false, MaxParseTime = TimeSpan.FromHours(1), JobDir = temp.File("job") };
        var spider = new LinkSpider(site.Url);

        var crawl = new CrawlerBuilder(spider, options).UseAbortToken(hang.Token).Build().RunAsync(pause.Token);
        await spider.DeepParseStarted.WaitAsync(HangLimit);
        await pause.CancelAsync();
        var result = await crawl;

        result.Paused.ShouldBeTrue();
        result.PauseReason.ShouldBe("cancelled");
        hang.IsCancellationRequested.ShouldBeFalse("the pause did not wait for the parse");
        result.Stats.Failed.ShouldBe(0);
        StoredOutcome(options.JobDir, "/deep").ShouldBe((Status: 0, Attempts: 0));
    }

    private static ScriptedServer Site() => new(path => path switch
    {
        "/" => new ScriptedResponse(200, "", "<html><body><a href=\"/deep\">deep</a> <a href=\"/ok\">ok</a></body></html>"),
        "/deep" => new ScriptedResponse(200, "", DeepPage),
        _ => new ScriptedResponse(200, "", "<html><body><p>ok</p></body></html>"),
    });

    // The status and counted attempts of the stored request whose URL ends with the path.
    private static (int Status, int Attempts) StoredOutcome(string jobDir, string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(jobDir, "job.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT status, attempts FROM requests WHERE CAST(request AS TEXT) LIKE $pattern";
        command.Parameters.AddWithValue("$pattern", $"%{path}\"%");
        using var reader = command.ExecuteReader();
        reader.Read().ShouldBeTrue($"the job holds {path}");
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    /// <summary>Follows the links of every page, which parses it; says when it starts on the deep page.</summary>
    private sealed class LinkSpider(Uri start) : Spider
    {
        private readonly TaskCompletionSource _deepParseStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task DeepParseStarted => _deepParseStarted.Task;

        public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (response.Url.AbsolutePath == "/deep")
            {
                _deepParseStarted.TrySetResult();
            }

            foreach (var link in response.FollowAll(response.Css("a[href]")))
            {
                yield return link;
            }

            await Task.CompletedTask;
        }
    }
}
