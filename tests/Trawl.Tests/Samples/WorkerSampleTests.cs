using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Samples;

/// <summary>
/// The worker-service sample (samples/Trawl.Samples.Worker) as a real process against the sandbox site: stopped with
/// SIGTERM mid-crawl, as systemd or Kubernetes stop a service, then started again until it finishes.
/// </summary>
public sealed class WorkerSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Sigterm_PausesTheCrawl_TheNextStartResumes_AndEveryItemIsWrittenOnce()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return; // SIGTERM is a Unix signal.
        }

        var siteOptions = new SandboxOptions { Pages = 500, QuotePages = 0, PageSize = 1024, Seed = 31, EnableRequestLog = false };
        await using var server = await SandboxServer.StartAsync(siteOptions);
        using var temp = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["Pages__StartUrl"] = server.BaseUrl.AbsoluteUri,
            ["Trawl__JobDir"] = "job",
            ["Trawl__Output"] = "pages.jsonl",
            // Spaced requests keep the crawl going for seconds, however fast the machine: the SIGTERM comes mid-crawl.
            ["Trawl__DownloadDelay"] = "00:00:00.01",
            ["Trawl__CheckpointInterval"] = "00:00:00.2",
        };

        using (var first = WorkerProcess.Start(temp.Path, environment))
        {
            await Waiting.UntilAsync(() => server.TotalRequests >= 60 || first.HasExited, RunTimeout);
            first.HasExited.ShouldBeFalse(first.Output);
            first.Terminate();
            (await first.WaitAsync(RunTimeout)).ShouldBe(0, first.Output);
            first.Output.ShouldContain("The host is stopping: pausing crawl pages");
            first.Output.ShouldContain("resumes on the next start");
            first.Output.ShouldNotContain("Crawl pages finished");
        }

        Directory.Exists(temp.File("job")).ShouldBeTrue();
        var paths = UrlPaths(temp.File("pages.jsonl"));
        paths.Count.ShouldBeGreaterThan(0);
        paths.Count.ShouldBeLessThan(SandboxSite.ReachablePaths(siteOptions).Count);

        using (var second = WorkerProcess.Start(temp.Path, environment))
        {
            (await second.WaitAsync(RunTimeout)).ShouldBe(0, second.Output);
            second.Output.ShouldContain("Crawl pages finished; stopping the application.");
        }

        UrlPaths(temp.File("pages.jsonl")).ShouldBe(SandboxSite.ReachablePaths(siteOptions), ignoreOrder: true);
        TestSites.PageFetches(server, siteOptions).Values.Max().ShouldBe(1, "the pause let the requests in flight finish");
        Directory.Exists(temp.File("job")).ShouldBeFalse("a finished job removes its directory");
    }

    [Fact]
    public async Task BadSetting_ExitsWithCode2_AndOneLineNamingIt()
    {
        using var temp = new TempDirectory();
        using var worker = WorkerProcess.Start(temp.Path, new Dictionary<string, string> { ["Pages__StartUrl"] = "http://127.0.0.1:1/", ["Trawl__Concurrency"] = "0" });

        (await worker.WaitAsync(RunTimeout)).ShouldBe(2, worker.Output);

        worker.Error.Trim().ShouldBe("Configuration error: Crawl option Concurrency must be at least 1. It is set by Trawl:Concurrency (environment variable Trawl__Concurrency).");
        worker.Output.ShouldNotContain("   at ");
        Directory.Exists(temp.File(".trawl")).ShouldBeFalse("nothing was crawled");
    }

    private static List<string> UrlPaths(string output) =>
        [.. File.ReadAllLines(output).Select(line => new Uri(JsonNode.Parse(line)!["Url"]!.GetValue<string>()).AbsolutePath)];

    /// <summary>The sample, run from its own build output as <c>dotnet Trawl.Samples.Worker.dll</c>.</summary>
    private sealed class WorkerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _error = new();

        private WorkerProcess(Process process)
        {
            _process = process;
            _process.OutputDataReceived += (_, e) => Append(_output, e.Data);
            _process.ErrorDataReceived += (_, e) => Append(_error, e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public bool HasExited => _process.HasExited;

        public string Output => Read(_output) + Read(_error);

        public string Error => Read(_error);

        public static WorkerProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment)
        {
            var sample = typeof(WorkerSampleTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WorkerSample").Value!;
            File.Exists(sample).ShouldBeTrue($"the sample is built before the tests, to {sample}");
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet ? dotnet : "dotnet", [sample])
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                Environment = { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
            };
            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            return new WorkerProcess(Process.Start(start)!);
        }

        /// <summary>Sends SIGTERM, as <c>systemctl stop</c> and Kubernetes do.</summary>
        public void Terminate()
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
            kill.ExitCode.ShouldBe(0);
        }

        public async Task<int> WaitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private static void Append(StringBuilder all, string? line)
        {
            if (line is not null)
            {
                lock (all)
                {
                    all.AppendLine(line);
                }
            }
        }

        private static string Read(StringBuilder all)
        {
            lock (all)
            {
                return all.ToString();
            }
        }
    }
}
