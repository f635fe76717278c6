using System.Diagnostics;
using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;
using Xunit.Abstractions;

namespace Trawl.Tests.Redis;

/// <summary>
/// A Redis whose <c>default</c> user is off, with one ACL user allowed only the crawl's keys and channels and no
/// dangerous commands: the whole shared crawl works through the real CLI as that user, and wrong credentials fail fast,
/// in one line, without printing the secret.
/// </summary>
public sealed class RedisAclTests(ITestOutputHelper log) : IAsyncLifetime
{
    private const string User = "crawler";
    private const string Password = "Acl-s3cret-Pa55";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private readonly TempDirectory _temp = new();
    private readonly List<CliProcess> _workers = [];
    private RedisServer? _server;

    private RedisServer Server => _server!;

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password, AclUser = User });

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        await Server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task AnAclUser_RunsASharedCrawlEndToEnd_WorkersSeedPauseResumeExportStatus()
    {
        var url = Server.Url;
        url.ShouldStartWith($"redis://{User}:{Password}@");
        var siteOptions = new SandboxOptions { Pages = 120, QuotePages = 0, PageSize = 1024, Seed = 13, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        var name = $"acl-{Guid.NewGuid():N}";
        var printed = new List<string>();

        var seed = await RunAsync(printed, "seed", "--frontier", url, "--name", name, new Uri(site.BaseUrl, "/pages/7").AbsoluteUri);
        seed.ExitCode.ShouldBe(ExitCodes.Finished, seed.Error);
        seed.Output.ShouldContain("1 new, 0 already seen");

        // Paused before any worker starts: they register and wait, and fetch nothing until resumed.
        var pause = await RunAsync(printed, "pause", "--frontier", url, "--name", name);
        pause.ExitCode.ShouldBe(ExitCodes.Finished, pause.Error);
        for (var i = 0; i < 2; i++)
        {
            _workers.Add(CliProcess.Start(_temp.Path, "crawl", "--start", site.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
                "--name", name, "--frontier", url, "--idle-timeout", "2", "-o", $"worker-{i}.jsonl", "--concurrency", "4", "--no-progress", "--log-level", "info"));
        }

        var paused = await WaitForStatusAsync(printed, url, name, status => status["live_workers"]!.GetValue<int>() == 2);
        paused["paused"]!.GetValue<bool>().ShouldBeTrue();
        site.TotalRequests.ShouldBe(0, "no request while the crawl is paused");

        var resume = await RunAsync(printed, "resume", "--frontier", url, "--name", name);
        resume.ExitCode.ShouldBe(ExitCodes.Finished, resume.Error);
        foreach (var worker in _workers)
        {
            (await worker.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, worker.Output + worker.Error);
            printed.Add(worker.Output + worker.Error);
        }

        var expected = SandboxSite.ReachablePaths(siteOptions);
        var export = await RunAsync(printed, "export", "--frontier", url, "--name", name, "-o", _temp.File("all.jsonl"));
        export.ExitCode.ShouldBe(ExitCodes.Finished, export.Error);
        var exported = File.ReadAllLines(_temp.File("all.jsonl")).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath).ToList();
        exported.ShouldBe(expected, ignoreOrder: true, "each page's item exactly once");

        var text = await RunAsync(printed, "status", "--frontier", url, "--name", name);
        text.ExitCode.ShouldBe(ExitCodes.Finished, text.Error);
        text.Output.ShouldContain($"{expected.Count:N0} done");
        text.Output.ShouldContain($"redis://{User}:***@127.0.0.1:{Server.Port}/0");
        var json = await WaitForStatusAsync(printed, url, name, _ => true);
        json["counts"]!["done"]!.GetValue<long>().ShouldBe(expected.Count);
        json["frontier"]!.GetValue<string>().ShouldNotContain(Password);

        printed.ShouldAllBe(output => !output.Contains(Password), "the password is never printed");
    }

    [Theory]
    [InlineData(User, "Wr0ng-acl-pw")]
    [InlineData("nobody", Password)]
    public async Task WrongCredentials_ExitOneWithinSeconds_InOneLine_WithoutTheSecret(string user, string password)
    {
        var url = $"redis://{user}:{password}@127.0.0.1:{Server.Port}/0";
        // "Seconds" is measured against the same command with the right credentials, timed here, so a busy machine
        // that slows every process start does not turn the check red; an outage waited out would still take minutes.
        var reference = Stopwatch.StartNew();
        using (var right = CliProcess.Start(_temp.Path, "status", "--frontier", Server.Url, "--json"))
        {
            // Authenticated, it finds the server empty: nothing to list is the usage error "no crawl".
            (await right.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, right.Output + right.Error);
            right.Error.ShouldContain("There is no crawl in");
        }

        var bound = (reference.Elapsed * 3) + TimeSpan.FromSeconds(5);
        log.WriteLine($"status with the right credentials: {reference.Elapsed.TotalSeconds:0.0} s, so the bound is {bound.TotalSeconds:0.0} s");
        foreach (var args in new[]
        {
            new[] { "crawl", "--start", "http://127.0.0.1:9/", "--name", "wrong", "--frontier", url, "--no-progress" },
            ["status", "--frontier", url, "--json"],
        })
        {
            var clock = Stopwatch.StartNew();
            using var process = CliProcess.Start(_temp.Path, args);
            var exit = await process.WaitAsync(RunTimeout);
            clock.Stop();
            log.WriteLine($"{args[0]}: exit {exit} after {clock.Elapsed.TotalSeconds:0.0} s: {process.Error.Trim()}");

            exit.ShouldBe(ExitCodes.Error, process.Output + process.Error);
            var lines = process.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            lines.ShouldHaveSingleItem().ShouldContain("refused to authenticate: check the user and password");
            (process.Output + process.Error).ShouldNotContain(password);
            // The promise is seconds, not the minutes an outage is waited out; the bound includes starting the process.
            clock.Elapsed.ShouldBeLessThan(bound);
        }
    }

    private static async Task<CliRun> RunAsync(List<string> printed, params string[] args)
    {
        var run = await CliRunner.RunAsync(args);
        printed.Add(run.Output + run.Error);
        return run;
    }

    private async Task<JsonNode> WaitForStatusAsync(List<string> printed, string url, string name, Func<JsonNode, bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var run = await RunAsync(printed, "status", "--frontier", url, "--name", name, "--json");
            run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
            var status = JsonNode.Parse(run.Output)!;
            if (condition(status))
            {
                return status;
            }

            _workers.ShouldNotContain(worker => worker.HasExited, string.Join("\n", _workers.Select(w => w.Output + w.Error)));
            deadline.Elapsed.ShouldBeLessThan(RunTimeout, "timed out waiting for the crawl's status");
            await Task.Delay(200);
        }
    }
}
