using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Trawl.Crawling;
using Trawl.Engine;
using Trawl.Http;
using Trawl.Sandbox;
using Trawl.Spiders;
using Trawl.Tests.Support;

namespace Trawl.Tests.Spiders;

/// <summary>Callback arguments (Scrapy's cb_kwargs) in a real crawl of the sandbox site, across a pause and a resume.</summary>
public sealed class CallbackArgsCrawlTests
{
    [Fact]
    public async Task DurableJob_PausedAndResumed_GivesEveryCallbackItsArguments()
    {
        var siteOptions = new SandboxOptions { Pages = 300, QuotePages = 0, PageSize = 1024, Seed = 31, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");

        using (var pause = new CancellationTokenSource())
        {
            var first = Durable(temp.File("job"), output);
            first.Concurrency = 2;
            var paused = await new CrawlerBuilder(new ArgsSpider(server.BaseUrl), first).AddMiddleware(new PauseAfterResponses(40, pause)).Build().RunAsync(pause.Token);
            paused.Paused.ShouldBeTrue();
        }

        var pendingWithArgs = await CountPendingWithArgsAsync(temp.File("job"));
        pendingWithArgs.ShouldBeGreaterThan(0, "the paused job holds requests whose arguments the resumed run must read back");

        var resumed = await new ArgsSpider(server.BaseUrl).RunAsync(Durable(temp.File("job"), output));

        resumed.Paused.ShouldBeFalse();
        resumed.Stats.Failed.ShouldBe(0, "no callback lacked its arguments");
        var items = File.ReadAllLines(output).Select(line => JsonNode.Parse(line)!.AsObject()).ToList();
        items.Select(item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath).ShouldBe(SandboxSite.ReachablePaths(siteOptions), ignoreOrder: true);
        foreach (var item in items.Where(item => item["depth"]!.GetValue<int>() > 0))
        {
            // The arguments were made by the page that linked here: one hop less deep, and named by its path.
            item["hop"]!.GetValue<int>().ShouldBe(item["depth"]!.GetValue<int>());
            item["via"]!.GetValue<string>().ShouldStartWith("/");
        }
    }

    private static CrawlOptions Durable(string jobDir, string output) =>
        new() { HandleSignals = false, JobDir = jobDir, Output = output, CheckpointInterval = TimeSpan.FromMilliseconds(100), RobotsTxt = { Obey = false } };

    private static async Task<long> CountPendingWithArgsAsync(string jobDir)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(jobDir, "job.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM requests WHERE status = 0 AND CAST(request AS TEXT) LIKE '%\"args\":%'";
        return (long)(await count.ExecuteScalarAsync())!;
    }

    public sealed record PageArgs(string Via, int Hop);

    private sealed class ArgsSpider(Uri start) : Spider
    {
        public override string Name => "args";

        public override IEnumerable<string> StartUrls => [start.AbsoluteUri];

        public override async IAsyncEnumerable<object> ParseAsync(Response response, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new { url = response.Url.AbsoluteUri, depth = response.Request.Depth };
            foreach (var request in FollowLinks(response, hop: 1))
            {
                yield return request;
            }
        }

        private async IAsyncEnumerable<object> ParsePage(Response response, PageArgs args, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new { url = response.Url.AbsoluteUri, depth = response.Request.Depth, via = args.Via, hop = args.Hop };
            foreach (var request in FollowLinks(response, args.Hop + 1))
            {
                yield return request;
            }
        }

        private IEnumerable<Request> FollowLinks(Response response, int hop)
        {
            foreach (var href in response.Css("a::attr(href)").GetAll())
            {
                if (response.UrlJoin(href) is { } url && url.Host == start.Host && url.Port == start.Port)
                {
                    yield return response.Follow(href, ParsePage, new PageArgs(response.Url.AbsolutePath, hop));
                }
            }
        }
    }
}
