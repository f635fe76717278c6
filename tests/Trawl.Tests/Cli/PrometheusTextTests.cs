using System.Diagnostics.Metrics;
using System.Net;
using Trawl.Cli;
using Trawl.Cli.Commands;
using Trawl.Cli.Hosting;
using Trawl.Tests.Support;

namespace Trawl.Tests.Cli;

/// <summary>The Prometheus exposition writer, the meter listener behind it, and <c>--metrics</c> addresses.</summary>
public sealed class PrometheusTextTests
{
    private static readonly KeyValuePair<string, string>[] NoLabels = [];

    [Theory]
    [InlineData("trawl.pages.fetched", "{page}", "Counter", "trawl_pages_fetched_total")]
    [InlineData("trawl.download.duration", "s", "Histogram", "trawl_download_duration_seconds")]
    [InlineData("trawl.downloaded.bytes", "By", "Counter", "trawl_downloaded_bytes_total")]
    [InlineData("queue.wait", "ms", "Gauge", "queue_wait_milliseconds")]
    [InlineData("requests_total", null, "Counter", "requests_total")]
    [InlineData("http-requests/in flight", "", "Gauge", "http_requests_in_flight")]
    [InlineData("9lives", "1", "Gauge", "_9lives")]
    [InlineData("ns:metric", null, "Gauge", "ns:metric")]
    public void MetricName_FollowsPrometheusConventions(string instrument, string? unit, string kind, string expected) =>
        PrometheusText.MetricName(instrument, unit, Enum.Parse<MetricKind>(kind)).ShouldBe(expected);

    [Fact]
    public void LabelNames_AreSanitized() =>
        PrometheusText.LabelName("http.status-class:x").ShouldBe("http_status_class_x");

    [Fact]
    public void LabelValues_EscapeBackslashQuoteAndNewline() =>
        PrometheusText.EscapeLabelValue("a\\b\"c\nd}e,f").ShouldBe("a\\\\b\\\"c\\nd}e,f");

    [Fact]
    public void HelpText_EscapesBackslashAndNewline_ButNotQuotes() =>
        PrometheusText.EscapeHelp("one\\two\n\"three\"").ShouldBe("one\\\\two\\n\"three\"");

    [Theory]
    [InlineData(3.0, "3")]
    [InlineData(0.25, "0.25")]
    [InlineData(-1.5, "-1.5")]
    [InlineData(1e21, "1E+21")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void Values_AreWrittenAsPrometheusReadsThem(double value, string expected) =>
        PrometheusText.FormatValue(value).ShouldBe(expected);

    [Fact]
    public void Write_CounterAndGauge_HelpTypeAndOneLinePerSample()
    {
        var text = Write(
            new MetricFamily("jobs_total", "Jobs done.\nAll of them.", MetricKind.Counter,
            [
                new MetricPoint([new("kind", "a\"b"), new("spider", "s")], 2),
                new MetricPoint([new("kind", "c"), new("spider", "s")], 5),
            ]),
            new MetricFamily("queue", "Queue length.", MetricKind.Gauge, [new MetricPoint(NoLabels, 7)]),
            new MetricFamily("idle_total", "Nothing yet.", MetricKind.Counter, []));

        text.ShouldBe(
            "# HELP jobs_total Jobs done.\\nAll of them.\n" +
            "# TYPE jobs_total counter\n" +
            "jobs_total{kind=\"a\\\"b\",spider=\"s\"} 2\n" +
            "jobs_total{kind=\"c\",spider=\"s\"} 5\n" +
            "# HELP queue Queue length.\n" +
            "# TYPE queue gauge\n" +
            "queue 7\n" +
            "# HELP idle_total Nothing yet.\n" +
            "# TYPE idle_total counter\n");
        var scrape = PrometheusScrape.Parse(text);
        scrape.Family("jobs_total").Help.ShouldBe("Jobs done.\nAll of them.");
        scrape.Value("jobs_total", new Dictionary<string, string> { ["kind"] = "a\"b", ["spider"] = "s" }).ShouldBe(2);
        scrape.Family("idle_total").Samples.ShouldBeEmpty();
    }

    [Fact]
    public void Write_Histogram_CumulativeBucketsThenSumAndCount()
    {
        var text = Write(new MetricFamily("latency_seconds", "Latency.", MetricKind.Histogram,
        [
            new MetricPoint([new("spider", "s")], 0, new HistogramPoint([0.1, 1, 2.5], [3, 0, 2, 1], 6.5)),
        ]));

        text.ShouldBe(
            "# HELP latency_seconds Latency.\n" +
            "# TYPE latency_seconds histogram\n" +
            "latency_seconds_bucket{spider=\"s\",le=\"0.1\"} 3\n" +
            "latency_seconds_bucket{spider=\"s\",le=\"1\"} 3\n" +
            "latency_seconds_bucket{spider=\"s\",le=\"2.5\"} 5\n" +
            "latency_seconds_bucket{spider=\"s\",le=\"+Inf\"} 6\n" +
            "latency_seconds_sum{spider=\"s\"} 6.5\n" +
            "latency_seconds_count{spider=\"s\"} 6\n");
        PrometheusScrape.Parse(text).Family("latency_seconds").Histogram(new Dictionary<string, string> { ["spider"] = "s" }).ShouldBe((6, 6.5));
    }

    [Fact]
    public void Write_HistogramWithTheWrongNumberOfBuckets_Throws() =>
        Should.Throw<ArgumentException>(() => Write(new MetricFamily("h", "H.", MetricKind.Histogram,
            [new MetricPoint(NoLabels, 0, new HistogramPoint([1, 2], [1, 1], 2))])));

    [Fact]
    public void Collector_SumsCountersPerTagSet_AndIgnoresOtherMeters()
    {
        using var meter = new Meter(UniqueMeterName());
        using var other = new Meter(UniqueMeterName());
        using var collector = new MetricsCollector(meter.Name);
        var counter = meter.CreateCounter<long>("test.jobs", "{job}", "Jobs.");
        var upDown = meter.CreateUpDownCounter<int>("test.queue", null, "Queue.");
        other.CreateCounter<long>("test.elsewhere").Add(1);

        counter.Add(2, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(3, new KeyValuePair<string, object?>("kind", "a"));
        counter.Add(1, new KeyValuePair<string, object?>("kind", "b\n\"c\""));
        upDown.Add(5);
        upDown.Add(-2);

        var scrape = PrometheusScrape.Parse(collector.Scrape());
        scrape.Families.Keys.ShouldBe(["test_jobs_total", "test_queue"]);
        scrape.Family("test_jobs_total").Type.ShouldBe("counter");
        scrape.Value("test_jobs_total", new Dictionary<string, string> { ["kind"] = "a" }).ShouldBe(5);
        scrape.Value("test_jobs_total", new Dictionary<string, string> { ["kind"] = "b\n\"c\"" }).ShouldBe(1);
        scrape.Family("test_queue").Type.ShouldBe("gauge");
        scrape.Value("test_queue", new Dictionary<string, string>()).ShouldBe(3);
    }

    [Fact]
    public void Collector_Histogram_UsesAdvisedBuckets_UpperBoundsInclusive()
    {
        using var meter = new Meter(UniqueMeterName());
        using var collector = new MetricsCollector(meter.Name);
        var histogram = meter.CreateHistogram("test.wait", "s", "Wait.", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2] });
        var plain = meter.CreateHistogram<double>("test.plain");

        foreach (var value in new[] { 0.5, 1, 1.5, 3 })
        {
            histogram.Record(value);
        }

        plain.Record(0.007);

        var scrape = PrometheusScrape.Parse(collector.Scrape());
        var family = scrape.Family("test_wait_seconds");
        family.Histogram(new Dictionary<string, string>()).ShouldBe((4, 6));
        family.Samples.Where(s => s.Name == "test_wait_seconds_bucket").Select(s => (s.Labels["le"], s.Value)).ShouldBe([("1", 2), ("2", 3), ("+Inf", 4)]);
        var defaults = scrape.Family("test_plain").Samples.Where(s => s.Name == "test_plain_bucket").ToList();
        defaults.Select(s => s.Labels["le"]).ShouldBe(["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]);
        defaults.Select(s => s.Value).ShouldBe([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    }

    [Fact]
    public void Collector_ObservableGauges_AreReadAtEachScrape_AndConstantLabelsWin()
    {
        using var meter = new Meter(UniqueMeterName());
        using var collector = new MetricsCollector(meter.Name);
        var readings = new List<Measurement<long>> { new(4, new KeyValuePair<string, object?>("worker", "from-tag")) };
        meter.CreateObservableGauge("test.live", () => readings, null, "Live.");
        collector.AddConstantLabel("worker", "w-1");

        var first = PrometheusScrape.Parse(collector.Scrape());
        readings = [];
        var second = PrometheusScrape.Parse(collector.Scrape());

        first.Value("test_live", new Dictionary<string, string> { ["worker"] = "w-1" }).ShouldBe(4);
        second.Family("test_live").Samples.ShouldBeEmpty("a gauge no one reports is gone");
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

    private static string Write(params MetricFamily[] families)
    {
        var text = new StringWriter();
        PrometheusText.Write(text, families);
        return text.ToString();
    }

    private static string UniqueMeterName() => "Trawl.Tests." + Guid.NewGuid().ToString("N");
}
