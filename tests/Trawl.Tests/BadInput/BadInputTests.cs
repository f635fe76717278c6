using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.BadInput;

/// <summary>
/// Bad input from users, through the command line: each gives one clear message and exit code 2, writes nothing, and
/// loses nothing. Each test starts from a paused job and its items file (a crawl stopped by <c>--item-limit</c>), checks
/// that the bad command leaves every file byte for byte as it was, then resumes the job with the good command and
/// checks every page ends up in the items file exactly once.
/// </summary>
public sealed class BadInputTests
{
    private static readonly SandboxOptions Site = new() { Pages = 25, QuotePages = 0, PageSize = 512, Seed = 7, LinksPerPage = 4 };

    public static TheoryData<string, string[], string> BadCommandLines() => new()
    {
        { "selector: unclosed bracket", ["--field", "title=h1[[::text"], "h1[[" },
        { "selector: unknown pseudo-element", ["--field", "title=h1::texts"], "::texts" },
        { "selector: empty ::attr()", ["--field", "title=h1::attr()"], "::attr()" },
        { "selector: empty", ["--field", "title="], "empty" },
        { "selector: no name", ["--field", "=h1::text"], "NAME=SELECTOR" },
        { "selector: bad follow", ["--follow", "a[["], "follow" },
        { "selector: bad pseudo-class argument", ["--field", "title=li:nth-child(x)"], ":nth-child(x)" },
        { "regex: unclosed group in --allow", ["--allow", "pages/(\\d+"], "pages/(\\d+" },
        { "regex: reversed range in --deny", ["--deny", "[z-a]"], "[z-a]" },
        { "regex: unclosed lookbehind", ["--allow", "(?<=a"], "(?<=a" },
        { "start: not a URL", ["--start", "not a url"], "not a url" },
        { "start: relative", ["--start", "/pages/1"], "/pages/1" },
        { "start: ftp", ["--start", "ftp://example.com/"], "ftp://example.com/" },
        { "start: javascript", ["--start", "javascript:alert(1)"], "javascript:alert(1)" },
        { "start: mailto", ["--start", "mailto:someone@example.com"], "mailto:" },
        { "start: no host", ["--start", "http://"], "http://" },
        { "start: space in host", ["--start", "http://exa mple.com/"], "exa mple" },
        { "start: unclosed IPv6", ["--start", "http://[::1"], "[::1" },
        { "start: a host IDNA rejects", ["--start", "http://xn--\uD4CF.example/"], "xn--" },
        { "start file: invalid line", ["--start-file", "{dir}/bad-starts.txt"], "'not-a-url' (line 4 of" },
        { "start file: missing", ["--start-file", "{dir}/missing.txt"], "missing.txt" },
        { "start file: a directory", ["--start-file", "{dir}"], "directory" },
        { "output: unknown extension", ["-o", "{dir}/items.txt"], ".txt" },
        { "output: missing directory", ["-o", "{dir}/no-such-dir/items.jsonl"], "does not exist" },
        { "output: a directory", ["-o", "{dir}/a-directory.jsonl"], "is a directory" },
        { "output: under a file", ["-o", "{dir}/bad-starts.txt/items.jsonl"], "is a file, not a directory" },
        { "output: a read-only file", ["-o", "{dir}/read-only.jsonl"], "read-only" },
        { "bytes in flight: not a size", ["--max-bytes-in-flight", "lots"], "'lots'" },
        { "bytes in flight: zero", ["--max-bytes-in-flight", "0"], "--max-bytes-in-flight '0'" },
        { "bytes in flight: unknown unit", ["--max-bytes-in-flight", "32X"], "32X" },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task BadCommandLine_GivesOneClearMessageAndExitCode2_WritingNothingAndLosingNothing(string what, string[] bad, string mentions)
    {
        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var job = await PausedJob.CreateAsync(server, temp);
        await File.WriteAllTextAsync(temp.File("bad-starts.txt"), $"{server.BaseUrl}\n# a comment\n\nnot-a-url\n");
        Directory.CreateDirectory(temp.File("a-directory.jsonl"));
        await File.WriteAllTextAsync(temp.File("read-only.jsonl"), "{\"precious\":true}\n");
        File.SetAttributes(temp.File("read-only.jsonl"), FileAttributes.ReadOnly);

        await job.ShouldRefuseAsync([.. job.GoodArgs(bad.Select(arg => arg.Replace("{dir}", temp.Path, StringComparison.Ordinal)).ToArray())], mentions, what);

        await job.ShouldResumeAndFinishAsync();
    }

    public static TheoryData<string, string, string> MalformedSpiderFiles() => new()
    {
        { "syntax: cut short", """{ "start": ["{site}"], "fields": { "title": """, "spider.json" },
        { "syntax: missing comma", """{ "start": ["{site}"] "allow": "/pages/" }""", "line 1" },
        { "syntax: not JSON", "start = {site}", "spider.json" },
        { "empty file", "", "spider.json" },
        { "null", "null", "null" },
        { "an array", """["{site}"]""", "object" },
        { "type: start is a number", """{ "start": 5 }""", "\"start\"" },
        { "type: start holds an object", """{ "start": [{ "url": "{site}" }] }""", "\"start\"" },
        { "type: fields is a list", """{ "start": ["{site}"], "fields": ["h1::text"] }""", "\"fields\"" },
        { "type: a field is a number", """{ "start": ["{site}"], "fields": { "title": 5 } }""", "title" },
        { "type: allow is an object", """{ "start": ["{site}"], "allow": { "a": 1 } }""", "\"allow\"" },
        { "type: follow is a list", """{ "start": ["{site}"], "follow": ["a"] }""", "\"follow\"" },
        { "type: allow holds a number", """{ "start": ["{site}"], "allow": ["/pages/", 5] }""", "\"allow\"" },
        { "null: start", """{ "start": null }""", "\"start\"" },
        { "null: allow", """{ "start": ["{site}"], "allow": null }""", "\"allow\"" },
        { "null: fields", """{ "start": ["{site}"], "fields": null }""", "\"fields\"" },
        { "unknown member", """{ "start": ["{site}"], "fieldz": { "title": "h1::text" } }""", "fieldz" },
        { "bad selector in the file", """{ "start": ["{site}"], "fields": { "title": "h1[[::text" } }""", "h1[[" },
        { "bad regex in the file", """{ "start": ["{site}"], "allow": "(" }""", "'('" },
        { "bad start URL in the file", """{ "start": ["ftp://example.com/"] }""", "ftp://example.com/" },
        { "no start URL", """{ "allow": "/pages/" }""", "start URL" },
    };

    [Theory]
    [MemberData(nameof(MalformedSpiderFiles))]
    public async Task MalformedSpiderFile_GivesOneClearMessageAndExitCode2_WritingNothingAndLosingNothing(string what, string json, string mentions)
    {
        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var job = await PausedJob.CreateAsync(server, temp);
        var file = temp.File("spider.json");
        await File.WriteAllTextAsync(file, json.Replace("{site}", server.BaseUrl.AbsoluteUri, StringComparison.Ordinal));

        var run = await job.ShouldRefuseAsync(["crawl", file, "-o", job.Items, "--jobdir", job.Job, "--no-progress"], mentions, what);

        run.Error.ShouldNotContain("System.", Case.Sensitive, "the message should not name .NET types");
        run.Error.ShouldNotContain("Trawl.", Case.Sensitive, "the message should not name .NET types");
        await job.ShouldResumeAndFinishAsync();
    }

    [Fact]
    public async Task OutputOnAReadOnlyFileSystem_IsRefusedWithExitCode2()
    {
        using var mount = TmpfsMount.Mount("1m", readOnly: true);

        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var job = await PausedJob.CreateAsync(server, temp);

        await job.ShouldRefuseAsync([.. job.GoodArgs(["-o", mount.File("items.jsonl")])], "Read-only file system", "read-only output");

        await job.ShouldResumeAndFinishAsync();
    }

    [Fact]
    public async Task OutputOnAFullDisk_IsRefusedWithExitCode2()
    {
        using var mount = TmpfsMount.Mount("64k");

        mount.Fill();
        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var job = await PausedJob.CreateAsync(server, temp);

        await job.ShouldRefuseAsync([.. job.GoodArgs(["-o", mount.File("items.jsonl")])], "full", "output on a full disk");

        Directory.EnumerateFileSystemEntries(mount.Path).Select(Path.GetFileName).ShouldBe(["filler"]);
        await job.ShouldResumeAndFinishAsync();
    }

    [Fact]
    public async Task NewJobOnAReadOnlyFileSystem_IsRefusedWithExitCode2_CreatingNothing()
    {
        using var mount = TmpfsMount.Mount("1m", readOnly: true);

        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var items = temp.File("items.jsonl");

        var run = await CliRunner.RunAsync(PausedJob.Args(server, items, mount.File("jobs/site")));

        run.ExitCode.ShouldBe(ExitCodes.Usage, run.Error);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("Read-only file system");
        run.Error.ShouldContain(mount.File("jobs/site"));
        Directory.EnumerateFileSystemEntries(mount.Path).ShouldBeEmpty();
        File.Exists(items).ShouldBeFalse();
        server.TotalRequests.ShouldBe(0);
    }

    [Fact]
    public async Task NewJobOnAFullDisk_IsRefusedWithExitCode2_CreatingNothing()
    {
        using var mount = TmpfsMount.Mount("64k");

        mount.Fill();
        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var items = temp.File("items.jsonl");

        var run = await CliRunner.RunAsync(PausedJob.Args(server, items, mount.File("jobs/site")));

        run.ExitCode.ShouldBe(ExitCodes.Usage, run.Error);
        run.ErrorLines.ShouldHaveSingleItem().ShouldContain("full");
        run.Error.ShouldContain(mount.File("jobs/site"));
        run.Error.ShouldNotContain("   at ");
        Directory.EnumerateFileSystemEntries(mount.Path).Select(Path.GetFileName).ShouldBe(["filler"]);
        File.Exists(items).ShouldBeFalse();
        server.TotalRequests.ShouldBe(0);
    }

    [Theory]
    [InlineData("read-only", "job")]
    [InlineData("read-only", "job and items")]
    [InlineData("full", "job")]
    [InlineData("full", "job and items")]
    public async Task PausedJobOnAReadOnlyOrFullDisk_IsRefusedWithExitCode2_AndResumesOnceWritable(string problem, string onTheDisk)
    {
        using var mount = TmpfsMount.Mount("4m");

        await using var server = await SandboxServer.StartAsync(Site);
        using var temp = new TempDirectory();
        var job = await PausedJob.CreateAsync(server, mount.Path, onTheDisk == "job" ? temp.Path : mount.Path);
        string? filler = null;
        if (problem == "read-only")
        {
            mount.Remount("ro");
        }
        else
        {
            filler = mount.Fill();
        }

        var run = await job.ShouldRefuseAsync(job.GoodArgs(), problem == "read-only" ? "Read-only file system" : "full", problem);

        run.Error.ShouldContain(onTheDisk == "job" ? job.Job : job.Items);
        if (filler is null)
        {
            mount.Remount("rw");
        }
        else
        {
            File.Delete(filler);
        }

        await job.ShouldResumeAndFinishAsync();
    }

    /// <summary>A paused job and its items file, made by the command line stopping at an item limit.</summary>
    private sealed class PausedJob
    {
        private readonly SandboxServer _server;
        private readonly string[] _directories;

        private PausedJob(SandboxServer server, string jobParent, string itemsParent)
        {
            _server = server;
            Job = Path.Combine(jobParent, "job");
            Items = Path.Combine(itemsParent, "items.jsonl");
            _directories = jobParent == itemsParent ? [jobParent] : [jobParent, itemsParent];
        }

        public string Items { get; }

        public string Job { get; }

        public static string[] Args(SandboxServer server, string items, string job) =>
            ["crawl", "--start", server.BaseUrl.AbsoluteUri, "--allow", "/pages/\\d+$", "--field", "title=h1::text",
                "-o", items, "--jobdir", job, "--no-progress", "--log-level", "warning"];

        public static Task<PausedJob> CreateAsync(SandboxServer server, TempDirectory temp) => CreateAsync(server, temp.Path, temp.Path);

        public static async Task<PausedJob> CreateAsync(SandboxServer server, string jobParent, string itemsParent)
        {
            var job = new PausedJob(server, jobParent, itemsParent);
            var run = await CliRunner.RunAsync([.. job.GoodArgs(), "--item-limit", "5"]);
            run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
            File.Exists(Path.Combine(job.Job, "job.db")).ShouldBeTrue();
            File.ReadAllLines(job.Items).Length.ShouldBe(5);
            return job;
        }

        /// <summary>The command that made and resumes the job, with <paramref name="changes"/>: an option given again replaces it, others are added.</summary>
        public string[] GoodArgs(params string[] changes)
        {
            var args = Args(_server, Items, Job).ToList();
            for (var i = 0; i < changes.Length; i++)
            {
                var option = changes[i];
                var value = i + 1 < changes.Length && !changes[i + 1].StartsWith("--", StringComparison.Ordinal) ? changes[++i] : null;
                var at = args.IndexOf(option);
                if (at >= 0 && value is not null)
                {
                    args[at + 1] = value;
                }
                else
                {
                    args.Add(option);
                    if (value is not null)
                    {
                        args.Add(value);
                    }
                }
            }

            return [.. args];
        }

        public async Task<CliRun> ShouldRefuseAsync(string[] args, string mentions, string what)
        {
            var before = Snapshot();
            var requests = _server.TotalRequests;

            var run = await CliRunner.RunAsync(args);

            run.ExitCode.ShouldBe(ExitCodes.Usage, $"{what}: {run.Error}");
            var message = run.ErrorLines.ShouldHaveSingleItem(what);
            message.ShouldStartWith("trawl: ");
            message.ShouldContain(mentions, Case.Insensitive, what);
            run.Error.ShouldNotContain("   at ", Case.Sensitive, what);
            run.Error.ShouldNotContain("Exception", Case.Sensitive, what);
            run.Error.ShouldNotContain("(Parameter", Case.Sensitive, what);
            Snapshot().ShouldBe(before, $"{what}: nothing may be written");
            _server.TotalRequests.ShouldBe(requests, $"{what}: nothing may be fetched");
            return run;
        }

        public async Task ShouldResumeAndFinishAsync()
        {
            var run = await CliRunner.RunAsync(GoodArgs());

            run.ExitCode.ShouldBe(ExitCodes.Finished, run.Error);
            var expected = SandboxSite.ReachablePaths(Site);
            var paths = File.ReadAllLines(Items).Select(line => new Uri(JsonNode.Parse(line)!["url"]!.GetValue<string>()).AbsolutePath).ToList();
            paths.ShouldBe(expected, ignoreOrder: true);
        }

        private Dictionary<string, string> Snapshot() => _directories
            .SelectMany(directory => Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories))
            .Where(path => !path.EndsWith("filler", StringComparison.Ordinal))
            .ToDictionary(
                path => path,
                path => Directory.Exists(path) ? "dir" : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
    }
}
