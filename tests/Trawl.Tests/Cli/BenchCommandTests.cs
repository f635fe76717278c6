using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Cli.Hosting;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

public sealed class BenchCommandTests
{
    [Fact]
    public async Task Bench_Json_CrawlsTheWholeSiteInMemoryAndWithAJobDir_AndReportsPlausibleFigures()
    {
        var run = await CliRunner.RunAsync("bench", "--pages", "300", "--runs", "1", "--json");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var report = JsonNode.Parse(run.Output)!.AsObject();
        report["complete"]!.GetValue<bool>().ShouldBeTrue();
        report["site"]!["pages"]!.GetValue<long>().ShouldBe(301);
        report["concurrency"]!.GetValue<int>().ShouldBe(64);
        report["fields"]!.AsArray().Select(field => field!.GetValue<string>()).ShouldBe(["title=title::text"]);
        report["concurrency_per_domain"]!.GetValue<int>().ShouldBe(64);
        report["machine"]!["cores"]!.GetValue<int>().ShouldBe(Environment.ProcessorCount);
        var modes = report["modes"]!.AsArray().Select(mode => mode!.AsObject()).ToList();
        modes.Select(mode => mode["mode"]!.GetValue<string>()).ShouldBe(["memory", "jobdir"]);
        foreach (var mode in modes)
        {
            var runs = mode["runs"]!.AsArray();
            runs.Count.ShouldBe(1);
            var figures = runs[0]!.AsObject();
            figures["pages"]!.GetValue<long>().ShouldBe(301);
            figures["failed"]!.GetValue<long>().ShouldBe(0);
            figures["pages_per_second"]!.GetValue<double>().ShouldBeGreaterThan(0);
            figures["cpu_microseconds_per_page"]!.GetValue<double>().ShouldBeGreaterThan(0);
            figures["allocated_bytes_per_page"]!.GetValue<double>().ShouldBeGreaterThan(1024);
            figures["peak_rss_mib"]!.GetValue<double>().ShouldBeInRange(20, 4096);
            figures["time_to_first_page_ms"]!.GetValue<double>().ShouldBeInRange(1, 60_000);
            mode["pages_per_second"]!.GetValue<double>().ShouldBe(figures["pages_per_second"]!.GetValue<double>());
            mode["percent_of_fetch_parse"].ShouldBeNull();
        }
    }

    [Fact]
    public async Task Bench_WithoutJson_PrintsAMarkdownTableWithTheMachine()
    {
        var run = await CliRunner.RunAsync("bench", "--pages", "200", "--runs", "1", "--mode", "memory", "--concurrency", "8");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var lines = run.Output.Split('\n', StringSplitOptions.TrimEntries);
        lines.ShouldContain(line => line.StartsWith("trawl bench: 201 pages at http://127.0.0.1:") && line.Contains("concurrency 8, 8 per domain"));
        lines.ShouldContain(line => line.StartsWith($"Machine: {Environment.ProcessorCount} cores"));
        lines.ShouldContain("| Mode | Pages | Pages/s | CPU µs/page | Allocated KB/page | Peak RSS MiB | First page ms | % of fetch+parse |");
        lines.Where(line => line.StartsWith("| memory | 201 |")).ShouldHaveSingleItem();
        lines.ShouldNotContain(line => line.StartsWith("| jobdir"));
        run.Error.ShouldContain("bench: memory: 201 pages in");
    }

    [Fact]
    public async Task Bench_WithUrlAndCeiling_CrawlsTheGivenSite_AndFetchesEachPageOncePerMode()
    {
        var options = new SandboxOptions { Pages = 150, QuotePages = 0, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(options);
        using var temp = new TempDirectory();
        var samples = temp.File("samples.csv");

        var run = await CliRunner.RunAsync(
            "bench", "--url", server.BaseUrl.AbsoluteUri, "--runs", "1", "--mode", "memory", "--ceiling", "--json", "--samples", samples,
            "--field", "title=title::text", "--field", "h1=h1::text", "--field", "first=ul.links a::text", "--max-bytes-in-flight", "1M");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
        var report = JsonNode.Parse(run.Output)!.AsObject();
        report["fields"]!.AsArray().Select(field => field!.GetValue<string>()).ShouldBe(["title=title::text", "h1=h1::text", "first=ul.links a::text"]);
        report["site"]!["url"]!.GetValue<string>().ShouldBe(server.BaseUrl.AbsoluteUri);
        report["site"]!["pages"]!.GetValue<long>().ShouldBe(151);
        report["ceiling_connections"]!.GetValue<int>().ShouldBe(64);
        var modes = report["modes"]!.AsArray().ToDictionary(mode => mode!["mode"]!.GetValue<string>(), mode => mode!.AsObject());
        modes.Keys.ShouldBe(["memory", "fetch", "fetch+parse"]);
        modes.Values.ShouldAllBe(mode => mode["pages"]!.GetValue<long>() == 151);
        modes["fetch+parse"]["runs"]![0]!["links"]!.GetValue<long>().ShouldBe(150 * 11 + 5);
        modes["memory"]["percent_of_fetch_parse"]!.GetValue<double>().ShouldBeGreaterThan(0);

        var pages = SandboxSite.ReachablePaths(options);
        var fetches = TestSites.PageFetches(server, options);
        fetches.Count.ShouldBe(pages.Count);
        // Bench reads the home page once to learn the site's size.
        fetches["/"].ShouldBe(4);
        fetches.Where(pair => pair.Key != "/").ShouldAllBe(pair => pair.Value == 3);

        var rows = File.ReadAllLines(samples);
        rows[0].ShouldBe("mode,run,seconds,pages,rss_mib");
        rows.Skip(1).Select(row => row.Split(',')[0]).Distinct().ShouldBe(["memory", "fetch", "fetch+parse"], ignoreOrder: true);
        rows.Skip(1).Where(row => row.StartsWith("memory,")).Last().Split(',')[3].ShouldBe("151");
    }

    [Theory]
    [InlineData("--pages 0", "--pages")]
    [InlineData("--runs 0", "--runs")]
    [InlineData("--concurrency 0", "--concurrency")]
    [InlineData("--mode fast", "--mode")]
    [InlineData("--url ftp://127.0.0.1/", "--url")]
    [InlineData("--url http://127.0.0.1:8080/site/", "--url")]
    [InlineData("--url http://127.0.0.1:8080/ --pages 10", "--pages")]
    [InlineData("--field title", "NAME=SELECTOR")]
    [InlineData("--field title=h1::texts", "::texts")]
    [InlineData("--max-bytes-in-flight lots", "--max-bytes-in-flight")]
    public async Task Bench_WithBadOptions_IsAUsageError_OnOneLine(string args, string named)
    {
        var run = await CliRunner.RunAsync(["bench", .. args.Split(' ')]);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain(named);
        run.Output.ShouldBeEmpty();
    }

    [Fact]
    public async Task Bench_WithUrlOfASiteWithQuotes_IsAUsageError_NamingTheFix()
    {
        await using var server = await TestSites.StartAsync(pages: 20, quotePages: 2);

        var run = await CliRunner.RunAsync("bench", "--url", server.BaseUrl.AbsoluteUri, "--runs", "1");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("--quote-pages 0");
    }

    [Fact]
    public async Task Bench_WithUrlThatAnswersNothing_IsAUsageError()
    {
        var run = await CliRunner.RunAsync("bench", "--url", "http://127.0.0.1:1/", "--runs", "1");

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("Cannot fetch --url http://127.0.0.1:1/");
    }

    [Fact]
    public async Task SandboxServe_WithExitOnStdinClose_StopsWhenItsParentClosesTheInput()
    {
        var serving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = CliChildProcess.Start(
            ["sandbox", "serve", "--pages", "5", "--port", "0", "--exit-on-stdin-close"],
            onOutputLine: line =>
            {
                if (line.StartsWith("Serving 5 pages at http://127.0.0.1:"))
                {
                    serving.TrySetResult();
                }
            });
        await serving.Task.WaitAsync(Waiting.Generous);

        server.CloseInput();

        using var timeout = new CancellationTokenSource(Waiting.Generous);
        (await server.WaitAsync(timeout.Token)).ShouldBe(ExitCodes.Finished);
    }
}
