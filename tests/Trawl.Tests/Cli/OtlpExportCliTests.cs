using System.Text;
using Trawl.Cli;
using Trawl.Sandbox;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// <c>trawl crawl</c> in a real child process with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, exporting to a tiny OTLP
/// receiver in the test: over OTLP/HTTP (protobuf) and over OTLP/gRPC, the exporter's default.
/// </summary>
public sealed class OtlpExportCliTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData("http/protobuf", null)]
    [InlineData("grpc", "docs-crawler")]
    public async Task Crawl_WithAnOtlpEndpoint_SendsItsSpansAndMetrics(string protocol, string? serviceName)
    {
        var siteOptions = new SandboxOptions { Pages = 12, QuotePages = 0, PageSize = 1024, Seed = 3, EnableRequestLog = false };
        await using var site = await SandboxServer.StartAsync(siteOptions);
        await using var receiver = await OtlpReceiver.StartAsync(grpc: protocol == "grpc");
        using var temp = new TempDirectory();
        var name = "otlp-" + Guid.NewGuid().ToString("N")[..8];
        var pages = SandboxSite.ReachablePaths(siteOptions).Count;
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.AbsoluteUri.TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
        };
        if (serviceName is not null)
        {
            environment["OTEL_SERVICE_NAME"] = serviceName;
        }

        using var child = CliProcess.Start(
            temp.Path,
            environment,
            "crawl", "--start", site.BaseUrl.AbsoluteUri, "--start", new Uri(site.BaseUrl, "/pages/1?token=s3cr3t-t0ken").AbsoluteUri, "--allow", "/pages/\\d+$",
            "--name", name, "--no-job", "-o", "items.jsonl", "--no-progress", "--log-level", "warning");
        (await child.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Finished, child.Output + child.Error);
        var completed = CliMetrics.Summary(child.Output).Pages;
        completed.ShouldBe(pages + 1, "the site's pages, and /pages/1 with its query");

        // Spans: one crawl; a request, a download and a parse per page, under their request; commits linked to the crawl.
        var spans = receiver.Spans();
        spans.ShouldNotBeEmpty(child.Error);
        spans.ShouldAllBe(span => span.Scope == "Trawl");
        spans.ShouldAllBe(span => Equals(span.Resource["service.name"], serviceName ?? "trawl"));
        var crawl = spans.Where(span => span.Name == "trawl.crawl").ShouldHaveSingleItem();
        crawl.Attributes["trawl.spider"].ShouldBe(name);
        crawl.Attributes["trawl.pages"].ShouldBe(completed);
        var requests = spans.Where(span => span.Name == "trawl.request").ToList();
        requests.Count.ShouldBe((int)completed);
        requests.ShouldAllBe(span => span.ParentSpanId.Length == 0 && span.LinkedSpanIds.Single() == crawl.SpanId);
        requests.ShouldAllBe(span => Equals(span.Attributes["trawl.outcome"], "done") && Equals(span.Attributes["trawl.spider"], name));
        var requestIds = requests.Select(span => span.SpanId).ToHashSet();
        foreach (var kind in new[] { "trawl.download", "trawl.parse" })
        {
            var children = spans.Where(span => span.Name == kind).ToList();
            children.Count.ShouldBe(requests.Count, kind);
            children.Select(span => span.ParentSpanId).ToHashSet().SetEquals(requestIds).ShouldBeTrue($"each {kind} is under a request of its own");
        }

        spans.Where(span => span.Name == "trawl.download").ShouldAllBe(span => Equals(span.Attributes["http.response.status_code"], 200L));
        var commits = spans.Where(span => span.Name == "trawl.commit").ToList();
        commits.ShouldNotBeEmpty();
        commits.ShouldAllBe(span => span.LinkedSpanIds.Single() == crawl.SpanId);
        commits.Sum(span => (long)span.Attributes["trawl.requests"]!).ShouldBe(completed);

        // Metrics: the Trawl meter's counters, sent when the command ended.
        var metrics = receiver.Metrics();
        metrics.ShouldAllBe(metric => metric.Scope == "Trawl");
        var pagesCompleted = metrics.Where(metric => metric.Name == "trawl.pages.completed").SelectMany(metric => metric.SumPoints)
            .Where(point => Equals(point.Attributes["spider"], name)).ToList();
        pagesCompleted.ShouldNotBeEmpty(string.Join(", ", metrics.Select(metric => metric.Name).Distinct()));
        pagesCompleted[^1].Value.ShouldBe(completed, "cumulative: the last export counts every page");
        metrics.Select(metric => metric.Name).ShouldContain("trawl.download.duration");

        // Nothing sent holds a URL's query.
        receiver.Bodies.ShouldNotContain(body => Encoding.UTF8.GetString(body).Contains("s3cr3t", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("collector:4317", null, "trawl: OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, such as http://127.0.0.1:4317.")]
    [InlineData("ftp://127.0.0.1:4317", null, "trawl: OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL, such as http://127.0.0.1:4317.")]
    [InlineData("http://127.0.0.1:4318", "http/json", "trawl: OTEL_EXPORTER_OTLP_PROTOCOL 'http/json' is not supported: use grpc (the default) or http/protobuf.")]
    public async Task BadOtlpSetting_IsAUsageError_BeforeAnythingIsCrawled(string endpoint, string? protocol, string message)
    {
        await using var site = await TestSites.StartAsync(pages: 3);
        using var temp = new TempDirectory();
        var environment = new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint };
        if (protocol is not null)
        {
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol;
        }

        using var child = CliProcess.Start(temp.Path, environment, "crawl", "--start", site.BaseUrl.AbsoluteUri, "--jobdir", "job", "--no-progress");

        (await child.WaitAsync(RunTimeout)).ShouldBe(ExitCodes.Usage, child.Output + child.Error);
        child.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ShouldHaveSingleItem().ShouldBe(message);
        site.TotalRequests.ShouldBe(0);
        Directory.Exists(temp.File("job")).ShouldBeFalse();
    }
}
