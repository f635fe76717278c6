using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Trawl.Cli;
using Trawl.Cli.Commands;
using Trawl.Cli.Hosting;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>
/// What <c>--metrics</c> serves: the meter's instruments through prometheus-net (read back with a strict parser of the
/// text format), its names, and <c>--metrics</c> addresses.
/// </summary>
public sealed class PrometheusMetricsTests
{
    [Theory]
    [InlineData("trawl.pages.fetched", "{page}", true, "trawl_pages_fetched_total")]
    [InlineData("trawl.download.duration", "s", false, "trawl_download_duration_seconds")]
    [InlineData("trawl.downloaded.bytes", "By", true, "trawl_downloaded_bytes_total")]
    [InlineData("queue.wait", "ms", false, "queue_wait_milliseconds")]
    [InlineData("requests_total", null, true, "requests_total")]
    [InlineData("http-requests/in flight", "", false, "http_requests_in_flight")]
    [InlineData("9lives", "1", false, "_9lives")]
    [InlineData("ns:metric", null, false, "ns:metric")]
    public void MetricName_FollowsOpenTelemetrysPrometheusRules(string instrument, string? unit, bool counter, string expected) =>
        PrometheusMetrics.MetricName(instrument, unit, counter).ShouldBe(expected);

    [Theory]
    [InlineData("http.status-class:x", "http_status_class_x")]
    [InlineData("__name", "x__name")]
    [InlineData("1st", "_1st")]
    public void LabelNames_AreSanitized(string tag, string expected) =>
        PrometheusMetrics.LabelName(tag).ShouldBe(expected);

    [Fact]
    public async Task Counters_SumPerTagSet_EscapeLabelValues_AndIgnoreOtherMeters()
    {
        using var meter = new Meter(UniqueMeterName());
        using var other = new Meter(UniqueMeterName());
        using var metrics = new PrometheusMetrics(meterName: meter.Name);
        var counter = meter.CreateCounter<long>("test.jobs", "{job}", "Jobs.\nDone \\ \"all\".");
        var upDown = meter.CreateUpDownCounter<int>("test.queue", null, "Queue.");
        other.CreateCounter<long>("test.elsewhere").Add(1);

        counter.Add(2, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(3, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(1, new KeyValuePair<string, object?>("kind", "b\n\"c\"\\"));
        counter.Add(-4, new KeyValuePair<string, object?>("kind", "a"));
        upDown.Add(5);
        upDown.Add(-2);

        var scrape = PrometheusScrape.Parse(await metrics.ScrapeAsync(CancellationToken.None));
        scrape.Families.Keys.Order(StringComparer.Ordinal).ShouldBe(["test_jobs_total", "test_queue"]);
        scrape.Family("test_jobs_total").Type.ShouldBe("counter");
        scrape.Family("test_jobs_total").Help.ShouldBe("Jobs.\nDone \\ \"all\".");
        scrape.Value("test_jobs_total", Labels(("kind", "a"))).ShouldBe(5, "a negative increment of a counter is dropped");
        scrape.Value("test_jobs_total", Labels(("kind", "b\n\"c\"\\"))).ShouldBe(1);
        scrape.Family("test_queue").Type.ShouldBe("gauge");
        scrape.Value("test_queue", Labels()).ShouldBe(3);
    }

    [Fact]
    public async Task Labels_AreSortedSanitizedTagNames_TagsInAnotherOrderFeedTheSameSeries_AndEachValueItsOwn()
    {
        using var meter = new Meter(UniqueMeterName());
        using var metrics = new PrometheusMetrics(meterName: meter.Name);
        var counter = meter.CreateCounter<long>("test.hits");

        counter.Add(1, new("spider", "s"), new("status.class", "2xx"));
        counter.Add(2, new("status.class", "2xx"), new("spider", "s"));
        counter.Add(4, new KeyValuePair<string, object?>("spider", "s"));
        counter.Add(1, new("spider", "s"), new("status.class", "4xx"));
        counter.Add(1, new("spider", "s"), new("status.class", "2xx"));
        counter.Add(1, new("spider", "s"), new("status.class", 404));
        counter.Add(1, new("spider", "s"), new("status.class", 404));

        var text = await metrics.ScrapeAsync(CancellationToken.None);
        var scrape = PrometheusScrape.Parse(text);
        scrape.Value("test_hits_total", Labels(("spider", "s"), ("status_class", "2xx"))).ShouldBe(4, text);
        scrape.Value("test_hits_total", Labels(("spider", "s"), ("status_class", "4xx"))).ShouldBe(1, text);
        scrape.Value("test_hits_total", Labels(("spider", "s"), ("status_class", "404"))).ShouldBe(2, "tag values that are not strings are written as text");
        scrape.Value("test_hits_total", Labels(("spider", "s"))).ShouldBe(4, text);
        text.ShouldContain("test_hits_total{spider=\"s\",status_class=\"2xx\"} 4");
    }

    [Fact]
    public async Task Histogram_UsesAdvisedBuckets_UpperBoundsInclusive_OrPrometheusDefaults()
    {
        using var meter = new Meter(UniqueMeterName());
        using var metrics = new PrometheusMetrics(meterName: meter.Name);
        var histogram = meter.CreateHistogram("test.wait", "s", "Wait.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2] });
        var plain = meter.CreateHistogram<double>("test.plain");

        foreach (var value in new[] { 0.5, 1, 1.5, 3 })
        {
            histogram.Record(value);
        }

        plain.Record(0.007);

        var scrape = PrometheusScrape.Parse(await metrics.ScrapeAsync(CancellationToken.None));
        var family = scrape.Family("test_wait_seconds");
        family.Type.ShouldBe("histogram");
        family.Histogram(Labels()).ShouldBe((4, 6));
        family.Samples.Where(s => s.Name == "test_wait_seconds_bucket").Select(s => (s.Labels["le"], s.Value)).ShouldBe([("1", 2), ("2", 3), ("+Inf", 4)]);
        var defaults = scrape.Family("test_plain").Samples.Where(s => s.Name == "test_plain_bucket").ToList();
        defaults.Select(s => s.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(s.Labels["le"], CultureInfo.InvariantCulture)).ShouldBe([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, double.PositiveInfinity]);
        defaults.Select(s => s.Value).ShouldBe([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    }

    [Fact]
    public async Task ObservableGauges_AreReadAtEachScrape_AddUpPerLabelSet_AndGoWhenNoLongerObserved()
    {
        using var meter = new Meter(UniqueMeterName());
        using var metrics = new PrometheusMetrics(new Dictionary<string, string> { ["worker"] = "w-1" }, meter.Name);
        var readings = new List<Measurement<long>>
        {
            new(4, new KeyValuePair<string, object?>("spider", "a"), new KeyValuePair<string, object?>("worker", "from-tag")),
            new(3, new KeyValuePair<string, object?>("spider", "a"), new KeyValuePair<string, object?>("worker", "from-tag")),
            new(5, new KeyValuePair<string, object?>("spider", "b"), new KeyValuePair<string, object?>("worker", "from-tag")),
        };
        meter.CreateObservableGauge("test.live", () => readings, null, "Live.");

        var first = PrometheusScrape.Parse(await metrics.ScrapeAsync(CancellationToken.None));
        readings = [new(6, new KeyValuePair<string, object?>("spider", "b"), new KeyValuePair<string, object?>("worker", "from-tag"))];
        var second = PrometheusScrape.Parse(await metrics.ScrapeAsync(CancellationToken.None));
        readings = [];
        var third = PrometheusScrape.Parse(await metrics.ScrapeAsync(CancellationToken.None));

        first.Value("test_live", Labels(("spider", "a"), ("worker", "w-1"))).ShouldBe(7, "two crawls of one spider add up; the constant label wins");
        first.Value("test_live", Labels(("spider", "b"), ("worker", "w-1"))).ShouldBe(5);
        second.Value("test_live", Labels(("spider", "a"), ("worker", "w-1"))).ShouldBeNull("a gauge no one reports is gone");
        second.Value("test_live", Labels(("spider", "b"), ("worker", "w-1"))).ShouldBe(6);
        third.Family("test_live").Samples.ShouldBeEmpty();
    }

    [Fact]
    public async Task ConstantLabels_AreOnEverySample_OfEveryKind()
    {
        using var meter = new Meter(UniqueMeterName());
        using var metrics = new PrometheusMetrics(new Dictionary<string, string> { ["worker"] = "w-9" }, meter.Name);
        meter.CreateCounter<long>("test.count").Add(1, new KeyValuePair<string, object?>("spider", "s"));
        meter.CreateHistogram<double>("test.time", "s").Record(0.2, new KeyValuePair<string, object?>("spider", "s"));
        meter.CreateObservableGauge("test.level", () => new Measurement<int>(2, new KeyValuePair<string, object?>("spider", "s")));

        var scrape = PrometheusScrape.Parse(await metrics.ScrapeAsync(CancellationToken.None));

        var samples = scrape.Families.Values.SelectMany(family => family.Samples).ToList();
        samples.Count.ShouldBeGreaterThan(3);
        samples.ShouldAllBe(sample => sample.Labels["worker"] == "w-9" && sample.Labels["spider"] == "s");
    }

    [Theory]
    [InlineData("9100", "127.0.0.1", 9100, true)]
    [InlineData("0", "127.0.0.1", 0, true)]
    [InlineData("localhost:9100", "127.0.0.1", 9100, true)]
    [InlineData("0.0.0.0:9100", "0.0.0.0", 9100, false)]
    [InlineData("10.1.2.3:65535", "10.1.2.3", 65535, false)]
    [InlineData("[::1]:9100", "::1", 9100, true)]
    [InlineData("[::]:9100", "::", 9100, false)]
    public void MetricsAddress_ParsesHostAndPort(string value, string address, int port, bool loopback)
    {
        var parsed = MetricsAddress.Parse(value);

        parsed.Address.ShouldBe(IPAddress.Parse(address));
        parsed.Port.ShouldBe(port);
        parsed.IsLoopback.ShouldBe(loopback);
    }

    [Theory]
    [InlineData("", "the port must be a number")]
    [InlineData("http", "the port must be a number")]
    [InlineData("-1", "the port must be a number")]
    [InlineData("65536", "the port must be a number")]
    [InlineData("9100:", "the port must be a number")]
    [InlineData("example.com:9100", "HOST must be an IP address or localhost")]
    [InlineData(":9100", "HOST must be an IP address or localhost")]
    [InlineData("[127.0.0.1]:9100", "HOST must be an IP address or localhost")]
    [InlineData("::1:9100", "write an IPv6 address in brackets")]
    public async Task BadMetricsValue_IsAUsageError_OneLine(string value, string why)
    {
        var run = await CliRunner.RunAsync("crawl", "--start", "http://127.0.0.1:1/", "--no-job", "--metrics", value);

        run.ExitCode.ShouldBe(ExitCodes.Usage);
        run.ErrorLines.ShouldHaveSingleItem().ShouldStartWith($"trawl: Invalid --metrics '{value}': {why}");
        run.Output.ShouldBeEmpty();
    }

    private static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) => labels.ToDictionary(l => l.Key, l => l.Value);

    private static string UniqueMeterName() => "Trawl.Tests." + Guid.NewGuid().ToString("N");
}
