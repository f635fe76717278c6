using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Trawl.Cli;
using Trawl.Jobs;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Recrawl;

/// <summary>
/// Conditional re-crawls of a kept job, end to end: the CLI, a real job database, and the sandbox over loopback
/// answering <c>304</c> to the validators the job stored.
/// </summary>
public sealed class ConditionalRecrawlTests
{
    private const int Pages = 30;

    [Fact]
    public async Task Recrawl_SendsConditionalRequests_UnchangedPagesAre304_AChangedPageIsParsedAgain_AndStatusCountsThem()
    {
        var options = new SandboxOptions { Pages = Pages, QuotePages = 0, PageSize = 512, Validators = true };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        string[] args =
        [
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--field", "title=h1::text", "--jobdir", temp.File("job"), "--keep-job",
            "-o", temp.File("items.jsonl"), "--no-progress", "--log-level", "warning",
        ];

        var first = await CliRunner.RunAsync(args);
        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Output + first.Error);
        first.Output.ShouldNotContain("Re-crawl:");
        server.NotModifiedResponses.ShouldBe(0);
        var firstItems = ReadItems(temp);
        firstItems.Count.ShouldBe(Pages + 1);

        server.ChangePage("/pages/7").ShouldBe(1);
        await Task.Delay(50);
        var second = await CliRunner.RunAsync([.. args, "--recrawl-after", "1ms"]);

        second.ExitCode.ShouldBe(ExitCodes.Finished, second.Output + second.Error);
        // Every page but the start page (fetched in full on every re-run) was asked for conditionally: one changed.
        server.NotModifiedResponses.ShouldBe(Pages - 1);
        for (var i = 0; i < Pages; i++)
        {
            server.FetchCount($"/pages/{i}").ShouldBe(2, $"/pages/{i}");
        }

        second.Output.ShouldContain($"Re-crawl: {Pages - 1} unchanged (304, not parsed again), 1 changed.");
        // -o appends: the start page's item again, and the changed page's new one; no unchanged page's item again.
        var added = ReadItems(temp).Skip(firstItems.Count).ToList();
        added.Count.ShouldBe(2);
        added.ShouldContain(item => item.Path == "/pages/7" && item.Title == "Page 7 (revision 1)");
        added.ShouldContain(item => item.Path == "/");

        var status = await CliRunner.RunAsync("status", temp.File("job"));
        status.ExitCode.ShouldBe(ExitCodes.Finished, status.Output + status.Error);
        status.Output.ShouldContain($"Re-crawl:  {Pages - 1} unchanged (304), 1 changed");
        var json = await CliRunner.RunAsync("status", temp.File("job"), "--json");
        var recrawl = JsonNode.Parse(json.Output)!["recrawl"]!;
        recrawl["unchanged"]!.GetValue<long>().ShouldBe(Pages - 1);
        recrawl["changed"]!.GetValue<long>().ShouldBe(1);

        // The 304s kept the validators: a third re-crawl finds every page unchanged, page 7 at its new revision.
        await Task.Delay(50);
        var third = await CliRunner.RunAsync([.. args, "--recrawl-after", "1ms"]);
        third.ExitCode.ShouldBe(ExitCodes.Finished, third.Output + third.Error);
        third.Output.ShouldContain($"Re-crawl: {Pages} unchanged (304, not parsed again), 0 changed.");
        ReadItems(temp).Count.ShouldBe(firstItems.Count + 3);
    }

    [Fact]
    public async Task Recrawl_WithAnHttpCacheThatKeepsForever_AsksTheSite_NotTheCache()
    {
        var options = new SandboxOptions { Pages = 10, QuotePages = 0, PageSize = 512, Validators = true };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        string[] args =
        [
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--field", "title=h1::text", "--jobdir", temp.File("job"), "--keep-job",
            "-o", temp.File("items.jsonl"), "--http-cache", temp.File("cache"), "--no-progress", "--log-level", "warning",
        ];

        (await CliRunner.RunAsync(args)).ExitCode.ShouldBe(ExitCodes.Finished);
        server.ChangePage("/pages/3");
        await Task.Delay(50);
        var second = await CliRunner.RunAsync([.. args, "--recrawl-after", "1ms"]);

        second.ExitCode.ShouldBe(ExitCodes.Finished, second.Output + second.Error);
        // The cache would have answered every page with its stored copy; the conditional requests went to the site.
        server.NotModifiedResponses.ShouldBe(options.Pages - 1);
        server.FetchCount("/pages/3").ShouldBe(2);
        second.Output.ShouldContain($"Re-crawl: {options.Pages - 1} unchanged (304, not parsed again), 1 changed.");
        ReadItems(temp).ShouldContain(item => item.Path == "/pages/3" && item.Title == "Page 3 (revision 1)");
    }

    [Fact]
    public async Task ARerun_WithoutRecrawlAfter_SendsNoConditionalRequest()
    {
        var options = new SandboxOptions { Pages = 10, QuotePages = 0, PageSize = 512, Validators = true };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        string[] args =
        [
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--field", "title=h1::text", "--jobdir", temp.File("job"), "--keep-job",
            "--no-progress", "--log-level", "warning",
        ];

        (await CliRunner.RunAsync(args)).ExitCode.ShouldBe(ExitCodes.Finished);
        var rerun = await CliRunner.RunAsync(args);

        rerun.ExitCode.ShouldBe(ExitCodes.Finished, rerun.Output + rerun.Error);
        server.NotModifiedResponses.ShouldBe(0);
        server.FetchCount("/").ShouldBe(2);
        rerun.Output.ShouldNotContain("Re-crawl:");
    }

    [Fact]
    public async Task AJobWithoutTheValidatorColumns_GetsThemWhenOpened_AndStoresValidatorsFromThen()
    {
        var options = new SandboxOptions { Pages = 5, QuotePages = 0, PageSize = 512, Validators = true };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        await using (var store = await JobStore.OpenAsync(temp.File("job"), new JobStoreOptions(), CancellationToken.None))
        {
        }

        // A job as trawl wrote it before re-crawls were conditional.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.File("job/job.db"), Pooling = false }.ToString()))
        {
            connection.Open();
            using var drop = connection.CreateCommand();
            drop.CommandText = "ALTER TABLE requests DROP COLUMN etag; ALTER TABLE requests DROP COLUMN last_modified;";
            drop.ExecuteNonQuery();
        }

        ValidatorColumns(temp).ShouldBe(0);
        var run = await CliRunner.RunAsync(
            "crawl", "--start", server.BaseUrl.AbsoluteUri, "--field", "title=h1::text", "--jobdir", temp.File("job"), "--keep-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        ValidatorColumns(temp).ShouldBe(2);
        using var check = Open(temp);
        using var stored = check.CreateCommand();
        stored.CommandText = "SELECT count(*) FROM requests WHERE status = 2 AND etag IS NOT NULL AND last_modified IS NOT NULL";
        ((long)stored.ExecuteScalar()!).ShouldBe(options.Pages + 1);
    }

    [Fact]
    public async Task Sandbox_AnswersAConditionalRequest304_UntilThePageChanges()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0, Validators = true });
        using var client = new HttpClient { BaseAddress = server.BaseUrl };

        using var plain = await client.GetAsync("/pages/2");
        plain.StatusCode.ShouldBe(HttpStatusCode.OK);
        var etag = plain.Headers.ETag!.ToString();
        var lastModified = plain.Content.Headers.LastModified!.Value;

        (await SendAsync(client, "/pages/2", "If-None-Match", etag)).ShouldBe(HttpStatusCode.NotModified);
        (await SendAsync(client, "/pages/2", "If-Modified-Since", lastModified.ToString("R"))).ShouldBe(HttpStatusCode.NotModified);
        (await SendAsync(client, "/pages/2", "If-None-Match", "\"other\"")).ShouldBe(HttpStatusCode.OK);
        server.NotModifiedResponses.ShouldBe(2);

        server.ChangePage("/pages/2");
        (await SendAsync(client, "/pages/2", "If-None-Match", etag)).ShouldBe(HttpStatusCode.OK);
        (await SendAsync(client, "/pages/2", "If-Modified-Since", lastModified.ToString("R"))).ShouldBe(HttpStatusCode.OK);
        var changed = await client.GetStringAsync("/pages/2");
        changed.ShouldContain("<h1>Page 2 (revision 1)</h1>");
        (await SendAsync(client, "/pages/3", "If-None-Match", etag)).ShouldBe(HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task Sandbox_WithoutValidators_SendsNone()
    {
        await using var server = await SandboxServer.StartAsync(new SandboxOptions { Pages = 5, QuotePages = 0 });
        using var client = new HttpClient { BaseAddress = server.BaseUrl };

        using var response = await client.GetAsync("/pages/2");

        response.Headers.ETag.ShouldBeNull();
        response.Content.Headers.LastModified.ShouldBeNull();
        (await SendAsync(client, "/pages/2", "If-Modified-Since", DateTimeOffset.UtcNow.ToString("R"))).ShouldBe(HttpStatusCode.OK);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string path, string header, string value)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation(header, value);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static SqliteConnection Open(TempDirectory temp)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = temp.File("job/job.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long ValidatorColumns(TempDirectory temp)
    {
        using var connection = Open(temp);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM pragma_table_info('requests') WHERE name IN ('etag', 'last_modified')";
        return (long)count.ExecuteScalar()!;
    }

    private static List<(string Path, string? Title)> ReadItems(TempDirectory temp) =>
    [
        .. File.ReadAllLines(temp.File("items.jsonl")).Select(line => JsonNode.Parse(line)!).Select(item =>
            (new Uri(item["url"]!.GetValue<string>()).AbsolutePath, item["title"]?.GetValue<string>())),
    ];
}
