using System.Globalization;
using System.Text.Json.Nodes;
using Trawl.Browser;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Redis;
using Trawl.Tests.Support;

namespace Trawl.Tests.Browser;

/// <summary>Workers of a crawl shared on a real redis-server, rendering in their own browsers.</summary>
public sealed class BrowserClusterTests(RedisServerFixture fixture) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task RenderingWorkers_OneKilledAndStartedAgain_WriteEachItemInExactlyOneOutput()
    {
        var site = BrowserSupport.MixedSite(appPages: 16, seed: 10);
        await using var server = await SandboxServer.StartAsync(site);
        using var temp = new TempDirectory();
        var name = $"b-{Guid.NewGuid():N}";

        using var steady = CliProcess.Start(temp.Path, WorkerArgs(server, name, "one.jsonl"));
        using (var killed = CliProcess.Start(temp.Path, WorkerArgs(server, name, "two.jsonl")))
        {
            await Waiting.UntilAsync(() => server.FetchCount("/app/app.js") >= 4 || killed.HasExited, RunTimeout, "pages rendered");
            killed.HasExited.ShouldBeFalse(killed.Output + killed.Error);
            await killed.KillAsync();
            await Waiting.UntilAsync(() => BrowserProcesses.Find(BrowserProcesses.OwnerVariable, killed.Id.ToString(CultureInfo.InvariantCulture)).Count == 0, Waiting.Generous, "the killed worker's browser to go");
        }

        using var again = CliProcess.Start(temp.Path, WorkerArgs(server, name, "two.jsonl"));
        (await steady.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, steady.Output + steady.Error);
        (await again.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, again.Output + again.Error);

        var items = Items(temp.File("one.jsonl")).Concat(Items(temp.File("two.jsonl"))).ToList();
        var paths = items.Select(static item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath).ToList();
        paths.ShouldBe(SandboxSite.AppPages(site).Select(static page => page.Path), ignoreOrder: true, "each page of the section in exactly one output, once");
        var titles = items.ToDictionary(static item => new Uri(item["url"]!.GetValue<string>()).AbsolutePath, static item => item["title"]?.GetValue<string>());
        foreach (var page in SandboxSite.AppPages(site))
        {
            titles[page.Path].ShouldBe(page.Title, "rendered by whichever worker took it");
        }

        BrowserProcesses.Find(BrowserProcesses.OwnerVariable, steady.Id.ToString(CultureInfo.InvariantCulture)).ShouldBeEmpty();
        BrowserProcesses.Find(BrowserProcesses.OwnerVariable, again.Id.ToString(CultureInfo.InvariantCulture)).ShouldBeEmpty();
    }

    private string[] WorkerArgs(SandboxServer site, string name, string output) =>
    [
        "crawl", "--start", new Uri(site.BaseUrl, "/app/").AbsoluteUri, "--allow", "/app/", "--field", "title=h1::text",
        "--render", "auto", "--render-wait-for", BrowserSupport.Ready, "--browser-pages", "2",
        "--name", name, "--frontier", fixture.Server.Url, "--idle-timeout", "2", "-o", output,
        "--concurrency", "4", "--no-progress", "--log-level", "warning", "--checkpoint-interval", "0.2",
    ];

    private static List<JsonObject> Items(string output) =>
        File.Exists(output) ? [.. File.ReadAllLines(output).Select(static line => JsonNode.Parse(line)!.AsObject())] : [];
}
