using System.Text.Json.Nodes;
using Trawl.Browser;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Browser;

/// <summary>
/// trawl with a browser, as a user runs it: a real trawl process rendering the sandbox's script-built section, killed
/// with SIGKILL and interrupted with SIGINT, then resumed; and what it says when there is no browser.
/// </summary>
public sealed class BrowserCliTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task MissingBrowser_IsOneClearError_NamingThePackage_WithTheUsageCode()
    {
        using var temp = new TempDirectory();
        var environment = new Dictionary<string, string> { ["PATH"] = temp.Path, [BrowserLocator.EnvironmentVariable] = string.Empty };

        using var child = CliProcess.Start(temp.Path, environment, "crawl", "--start", "http://127.0.0.1:9/", "--render", "auto", "--limit", "1", "--no-progress");

        (await child.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, child.Output + child.Error);
        var lines = child.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.ShouldHaveSingleItem(child.Error);
        lines[0].ShouldContain("apt-get install chromium");
        lines[0].ShouldContain("--browser");

        // A browser named but not there says so too; without --render, none is looked for at all.
        var named = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:9/", "--browser", temp.File("no-chromium"), "--render", "always", "--limit", "1", "--no-progress");
        named.ExitCode.ShouldBe(ExitCodes.Usage);
        named.ErrorLines.ShouldHaveSingleItem().ShouldContain("no-chromium");
        using var plain = CliProcess.Start(temp.Path, environment, "crawl", "--start", "http://127.0.0.1:9/", "--limit", "1", "--retries", "0", "--ignore-robots", "--no-progress", "--log-level", "none");
        // It runs (its one start request is refused, so it ends as a start that failed), with no word of a browser.
        (await plain.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.StartFailed, plain.Output + plain.Error);
        (plain.Output + plain.Error).ShouldNotContain("chromium");
    }

    [Fact]
    public async Task RenderActionsAndScreenshots_FromTheCommandLine_PutTheClickedContentAndThePngInTheItem_AndABadActionIsAUsageError()
    {
        await using var server = await SandboxServer.StartAsync(BrowserSupport.MixedSite());
        using var temp = new TempDirectory();
        var feed = new Uri(server.BaseUrl, "/app/feed/").AbsoluteUri;

        var run = await CliRunner.RunAsync(
            "crawl", "--start", feed, "--field", "extra=li.extra::text", "--render", "always", "--render-actions", """[{"click": "#more"}, {"wait_for": "li.extra"}]""",
            "--screenshots", temp.File("shots"), "-o", temp.File("items.jsonl"), "--no-job", "--no-progress", "--log-level", "warning");

        run.ExitCode.ShouldBe(ExitCodes.Finished, run.Output + run.Error);
        var item = JsonNode.Parse(File.ReadAllLines(temp.File("items.jsonl")).ShouldHaveSingleItem())!;
        item["extra"]!.GetValue<string>().ShouldBe("Extra 0", "the click added it");
        var screenshot = item["screenshot"]!.GetValue<string>();
        Path.GetDirectoryName(screenshot).ShouldBe(temp.File("shots"));
        (await File.ReadAllBytesAsync(screenshot))[..4].ShouldBe(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' });

        var bad = await CliRunner.RunAsync("crawl", "--start", feed, "--render", "always", "--render-actions", """[{"clik": "#more"}]""", "--no-job", "--no-progress");
        bad.ExitCode.ShouldBe(ExitCodes.Usage);
        bad.ErrorLines.ShouldHaveSingleItem().ShouldContain("unknown key 'clik'");
    }

    [Fact]
    public async Task Parse_WithRender_ReadsTheFieldsOffThePageItsScriptBuilt_AndSaysItRendered_WhereAPlainParseFindsNone()
    {
        var site = BrowserSupport.MixedSite();
        await using var server = await SandboxServer.StartAsync(site);
        var expected = SandboxSite.AppPages(site)[3];
        var url = new Uri(server.BaseUrl, expected.Path).AbsoluteUri;
        string[] parse = ["parse", url, "--field", "title=h1::text", "--field", "summary=p.summary::text"];

        var plain = await CliRunner.RunAsync(parse);
        var always = await CliRunner.RunAsync([.. parse, "--render", "always", "--render-wait-for", BrowserSupport.Ready]);
        var auto = await CliRunner.RunAsync([.. parse, "--render", "auto", "--render-wait-for", BrowserSupport.Ready]);

        plain.ExitCode.ShouldBe(ExitCodes.Finished, plain.Error);
        ItemOf(plain)["title"].ShouldBeNull("the plain page is the script's empty shell");
        plain.Error.ShouldNotContain("(rendered)");
        foreach (var run in new[] { always, auto })
        {
            run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
            var item = ItemOf(run);
            item["title"]!.GetValue<string>().ShouldBe(expected.Title);
            item["summary"]!.GetValue<string>().ShouldBe(expected.Summary);
            run.Error.ShouldContain($"200 {url} (rendered): 1 items");
        }
    }

    private static JsonObject ItemOf(CliRun run) =>
        JsonNode.Parse(run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).First(line => line.StartsWith("{\"item\"", StringComparison.Ordinal)))!["item"]!.AsObject();

    [Fact]
    public async Task Resume_AfterKillAndCtrlC_WritesEachItemOnce_AndNoBrowserOutlivesTrawl()
    {
        var site = BrowserSupport.MixedSite(appPages: 24, seed: 9);
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        string[] args =
        [
            "crawl", "--start", new Uri(server.BaseUrl, "/app/").AbsoluteUri, "--allow", "/app/", "--field", "title=h1::text", "--render", "always", "--render-wait-for", BrowserSupport.Ready,
            "--browser-pages", "2", "--concurrency", "4", "--jobdir", "job", "-o", "items.jsonl", "--checkpoint-interval", "0.2", "--no-progress", "--log-level", "warning",
        ];

        // Killed mid-crawl while pages render: its browser goes with it.
        using (var killed = CliProcess.Start(temp.Path, args))
        {
            await Waiting.UntilAsync(() => server.FetchCount("/app/app.js") >= 5 || killed.HasExited, RunTimeout, "pages rendered");
            killed.HasExited.ShouldBeFalse(killed.Output + killed.Error);
            BrowserProcesses.Find(BrowserProcesses.OwnerVariable, killed.Id.ToString()).ShouldNotBeEmpty("the browser runs");
            await killed.KillAsync();
            await Waiting.UntilAsync(() => BrowserProcesses.Find(BrowserProcesses.OwnerVariable, killed.Id.ToString()).Count == 0, Waiting.Generous, "the killed trawl's browser to go");
        }

        // Ctrl+C: it pauses, and its browser is closed.
        using (var interrupted = CliProcess.Start(temp.Path, args))
        {
            var before = server.FetchCount("/app/app.js");
            await Waiting.UntilAsync(() => server.FetchCount("/app/app.js") >= before + 5 || interrupted.HasExited, RunTimeout, "pages rendered after resuming");
            interrupted.HasExited.ShouldBeFalse(interrupted.Output + interrupted.Error);
            interrupted.Interrupt();
            (await interrupted.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Paused, interrupted.Output + interrupted.Error);
            BrowserProcesses.Find(BrowserProcesses.OwnerVariable, interrupted.Id.ToString()).ShouldBeEmpty("no browser process outlives a paused trawl");
        }

        // The job counts its pages by how they were fetched, over both runs.
        var status = await CliRunner.RunAsync("status", temp.File("job"), "--json");
        status.ExitCode.ShouldBe(ExitCodes.Finished, status.Error);
        var json = JsonNode.Parse(status.Output)!;
        json["rendered"]!.GetValue<long>().ShouldBeGreaterThanOrEqualTo(json["counts"]!["done"]!.GetValue<long>(), "every page done was rendered (some more than once)");
        json["rendered"]!.GetValue<long>().ShouldBeGreaterThan(0);
        json["fetched_plain"]!.GetValue<long>().ShouldBe(0);
        (await CliRunner.RunAsync("status", temp.File("job"))).Output.ShouldContain("rendered in a browser");

        using (var last = CliProcess.Start(temp.Path, args))
        {
            (await last.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, last.Output + last.Error);
            last.Output.ShouldContain("rendered");
            BrowserProcesses.Find(BrowserProcesses.OwnerVariable, last.Id.ToString()).ShouldBeEmpty("no browser process outlives a finished trawl");
        }

        var items = File.ReadAllLines(temp.File("items.jsonl")).Select(static line => JsonNode.Parse(line)!.AsObject()).ToList();
        var paths = items.Select(static item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath).ToList();
        paths.Count.ShouldBe(paths.Distinct().Count(), "each item exactly once");
        var expected = SandboxSite.AppPages(site).Select(static page => page.Path).ToHashSet();
        paths.ToHashSet().SetEquals(expected).ShouldBeTrue("every page of the script-built section");
        var titles = items.ToDictionary(static item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath, static item => item["title"]?.GetValue<string>());
        foreach (var page in SandboxSite.AppPages(site))
        {
            titles[page.Path].ShouldBe(page.Title);
        }
    }
}
