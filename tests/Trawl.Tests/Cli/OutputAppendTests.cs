using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// <c>-o</c> appends and <c>-O</c> overwrites, as in Scrapy; an unfinished job's output is refused to any other run,
/// naming the job; a job whose output was lost says how to have every item written again. Through the command line,
/// against the sandbox site.
/// </summary>
public sealed class OutputAppendTests
{
    // What TestSites.StartAsync(pages: 20) serves: the pages a whole crawl fetches and writes an item for.
    private static readonly IReadOnlySet<string> Pages = Trawl.Sandbox.SandboxSite.ReachablePaths(new Trawl.Sandbox.SandboxOptions { Pages = 20, QuotePages = 0, PageSize = 1024, Seed = 7 });

    [Fact]
    public async Task LowerO_AppendsAfterWhatTheFileHeld_AndUpperO_Overwrites()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var output = temp.File("pages.jsonl");
        await File.WriteAllTextAsync(output, "{\"mine\":1}\n{\"mine\":2}");

        var appended = await CliRunner.RunAsync(TestCrawl(site, "-o", output));

        appended.ExitCode.ShouldBe(ExitCodes.Finished, appended.Error);
        var lines = await File.ReadAllLinesAsync(output);
        lines.Length.ShouldBe(5, "the user's two lines, then three items");
        lines[0].ShouldBe("{\"mine\":1}");
        lines[1].ShouldBe("{\"mine\":2}", "a last line without its line feed stays a line of its own");
        lines[2..].ShouldAllBe(line => JsonNode.Parse(line)!["url"] != null);

        var overwritten = await CliRunner.RunAsync(TestCrawl(site, "-O", output));

        overwritten.ExitCode.ShouldBe(ExitCodes.Finished, overwritten.Error);
        (await File.ReadAllLinesAsync(output)).Length.ShouldBe(3);
    }

    [Fact]
    public async Task LowerO_OnAJsonArray_AddsItsItemsInsideTheArray()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var output = temp.File("pages.json");
        await File.WriteAllTextAsync(output, "[\n  {\"mine\": 1}\n]\n");

        var run = await CliRunner.RunAsync(TestCrawl(site, "-o", output));
        var again = await CliRunner.RunAsync(TestCrawl(site, "-o", output));

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        again.ExitCode.ShouldBe(ExitCodes.Finished, again.Error);
        var array = JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsArray();
        array.Count.ShouldBe(7);
        array[0]!["mine"]!.GetValue<int>().ShouldBe(1);
    }

    [Fact]
    public async Task LowerO_OnAFileThatIsNotAJsonArray_IsRefused_AndTheFileIsLeftAsItWas()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var output = temp.File("notes.json");
        await File.WriteAllTextAsync(output, "{\"not\": \"an array\"}\n");

        var run = await CliRunner.RunAsync(TestCrawl(site, "-o", output));

        run.ExitCode.ShouldBe(ExitCodes.Error);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("-O to overwrite");
        run.Error.ShouldContain(output);
        (await File.ReadAllTextAsync(output)).ShouldBe("{\"not\": \"an array\"}\n");
    }

    [Fact]
    public async Task LowerO_OnACsvFile_WritesRowsUnderItsHeader_InItsColumns()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var output = temp.File("pages.csv");
        await File.WriteAllTextAsync(output, "title,url\nmine,http://example.com/\n");

        var run = await CliRunner.RunAsync(TestCrawl(site, "-o", output));

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = await File.ReadAllLinesAsync(output);
        lines.Length.ShouldBe(5);
        lines[0].ShouldBe("title,url");
        lines[1].ShouldBe("mine,http://example.com/");
        lines[2..].ShouldAllBe(line => line.Contains(",http://127.0.0.1:"), "title first, then url, as the header says");
    }

    [Fact]
    public async Task Csv_AnItemWithAFieldTheHeaderLacks_IsRefusedNamingTheField_NeverWrittenWithoutIt()
    {
        // The quotes spider yields quotes (Text, Author, Tags), then authors (Name, Born, Bio): the header is the first item's.
        var siteOptions = new Trawl.Sandbox.SandboxOptions { Pages = 5, QuotePages = 1, QuotesPerPage = 3, Seed = 3 };
        await using var server = await Trawl.Sandbox.SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("quotes.csv");
        var log = temp.File("crawl.log");

        var run = await CliRunner.RunAsync(
            "crawl", "quotes", "-a", $"StartUrl={new Uri(server.BaseUrl, "/quotes/")}", "-o", output, "--no-job", "--no-progress", "--concurrency", "1",
            "--log-level", "warning", "--log-file", log);

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = await File.ReadAllLinesAsync(output);
        lines[0].ShouldBe("Text,Author,Tags");
        lines.Length.ShouldBe(1 + 3, "every quote, and no author row without its fields");
        run.Output.ShouldContain("3 items failed (exporter_error 3)");
        var logged = await File.ReadAllTextAsync(log);
        logged.ShouldContain("'Name', which is not a column");
        logged.ShouldContain(".jsonl");
    }

    [Fact]
    public async Task BothLowerAndUpperO_IsAUsageError()
    {
        using var temp = new TempDirectory();

        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "-o", temp.File("a.jsonl"), "-O", temp.File("b.jsonl"), "--no-progress");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("-O");
    }

    [Fact]
    public async Task OutputOfAnUnfinishedJob_IsRefusedToAnyOtherRun_NamingTheJob_UntilTheJobFinishes()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var output = temp.File("items.jsonl");
        var job = temp.File("job");

        // A job stopped at a limit is kept, unfinished: it resumes writing its output when run again.
        var first = await CliRunner.RunAsync(TestCrawl(site, "-o", output, "--jobdir", job));
        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Error);
        var before = await File.ReadAllBytesAsync(output);

        foreach (var other in new[] { TestCrawl(site, "-o", output), TestCrawl(site, "-O", output), TestCrawl(site, "-o", output, "--jobdir", temp.File("other")) })
        {
            var refused = await CliRunner.RunAsync(other);

            refused.ExitCode.ShouldBe(ExitCodes.Usage, refused.Output + refused.Error);
            var message = refused.ErrorLines.ShouldHaveSingleItem();
            message.ShouldContain(output);
            message.ShouldContain(job);
            message.ShouldContain("unfinished job");
            (await File.ReadAllBytesAsync(output)).ShouldBe(before, "a refused run leaves the file as it was");
        }

        var status = await CliRunner.RunAsync("status", job);
        status.Output.ShouldContain($"Output:    {output} (3 items");

        // The job's own run resumes the file, and once the job is finished the file is anyone's again.
        var resumed = await CliRunner.RunAsync(Crawl(site, "-o", output, "--jobdir", job));
        resumed.ExitCode.ShouldBe(ExitCodes.Finished, resumed.Error);
        var items = (await File.ReadAllLinesAsync(output)).Length;
        items.ShouldBe(Pages.Count);

        var afterwards = await CliRunner.RunAsync(TestCrawl(site, "-o", output));
        afterwards.ExitCode.ShouldBe(ExitCodes.Finished, afterwards.Error);
        (await File.ReadAllLinesAsync(output)).Length.ShouldBe(items + 3);
    }

    [Fact]
    public async Task JobWhoseOutputWasDeleted_SaysHowToWriteEveryItemAgain_AndANewOutputGetsThemAll()
    {
        await using var site = await TestSites.StartAsync(pages: 20);
        using var temp = new TempDirectory();
        var job = temp.File("job");
        var first = await CliRunner.RunAsync(TestCrawl(site, "-o", temp.File("items.jsonl"), "--jobdir", job));
        first.ExitCode.ShouldBe(ExitCodes.Finished, first.Error);
        File.Delete(temp.File("items.jsonl"));

        var resumed = await CliRunner.RunAsync(Crawl(site, "-o", temp.File("items.jsonl"), "--jobdir", job));

        resumed.ExitCode.ShouldBe(ExitCodes.Error);
        var said = resumed.Output + resumed.Error;
        said.ShouldContain(temp.File("items.jsonl"));
        said.ShouldContain("the file is missing");
        said.ShouldContain("run the same command with -o naming a new file");
        said.ShouldNotContain("   at ");

        var rebuilt = await CliRunner.RunAsync(Crawl(site, "-o", temp.File("rebuilt.jsonl"), "--jobdir", job));

        rebuilt.ExitCode.ShouldBe(ExitCodes.Finished, rebuilt.Error);
        var urls = (await File.ReadAllLinesAsync(temp.File("rebuilt.jsonl"))).Select(line => JsonNode.Parse(line)!["url"]!.GetValue<string>()).ToList();
        urls.Count.ShouldBe(Pages.Count, "the three items of the first run, then the rest");
        urls.Select(url => new Uri(url).AbsolutePath).ShouldBe(Pages, ignoreOrder: true);
    }

    [Fact]
    public async Task PausedJob_LeavesItsJsonArrayValid_AndTheResumeCarriesItOn()
    {
        var siteOptions = OutputOwnershipTests.Site(seed: 31);
        await using var site = await Trawl.Sandbox.SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var output = temp.File("items.json");
        var args = OutputOwnershipTests.CrawlArgs(site, "job", "items.json");

        using (var crawl = CliProcess.Start(temp.Path, args))
        {
            await Waiting.UntilAsync(() => site.TotalRequests >= 300 || crawl.HasExited, TimeSpan.FromMinutes(5));
            crawl.HasExited.ShouldBeFalse(crawl.Output + crawl.Error);
            crawl.Interrupt();
            (await crawl.WaitAsync(TimeSpan.FromMinutes(5))).ShouldBe(ExitCodes.Paused, crawl.Output + crawl.Error);
        }

        var paused = JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsArray();
        paused.Count.ShouldBeGreaterThan(0);

        using (var resumed = CliProcess.Start(temp.Path, args))
        {
            (await resumed.WaitAsync(TimeSpan.FromMinutes(5))).ShouldBe(ExitCodes.Finished, resumed.Output + resumed.Error);
        }

        var urls = JsonNode.Parse(await File.ReadAllTextAsync(output))!.AsArray().Select(item => new Uri(item!["url"]!.GetValue<string>()).AbsolutePath).ToList();
        urls.ShouldBe(Trawl.Sandbox.SandboxSite.ReachablePaths(siteOptions), ignoreOrder: true);
        urls.Take(paused.Count).ShouldBe(paused.Select(item => new Uri(item!["url"]!.GetValue<string>()).AbsolutePath), "the resume carries on after what the paused file held");
    }

    private static string[] Crawl(Trawl.Sandbox.SandboxServer site, params string[] args) =>
    [
        "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
        "--concurrency", "1", "--no-progress", "--log-level", "warning", .. args,
    ];

    private static string[] TestCrawl(Trawl.Sandbox.SandboxServer site, params string[] args) => Crawl(site, ["--limit", "3", .. args]);
}
