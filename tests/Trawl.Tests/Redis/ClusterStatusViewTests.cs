using System.Text.Json;
using System.Text.Json.Nodes;
using Trawl.Cli.Commands;
using Trawl.Frontier;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>How <c>trawl status --frontier</c> shows a crawl, as text and JSON, without a Redis.</summary>
public sealed class ClusterStatusViewTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly RedisKeys _keys = new("docs");

    [Fact]
    public void Text_ShowsCountsWorkersAndErrors_AndNoCorruptLine_WhenNothingWasSetAside()
    {
        var status = Status() with
        {
            Workers = [new RedisWorkerStatus("w1", At.AddSeconds(-3), true, 2, 40, "host", 7), new RedisWorkerStatus("w0", At.AddMinutes(-10), false, 0, 3, null, null)],
            TopErrors = [new RedisErrorCount("timeout", 3), new RedisErrorCount("http_404", 1)],
            FailedByKind = [new RedisErrorCount("http_404", 1), new RedisErrorCount("timeout", 1)],
            RetriesByKind = [new RedisErrorCount("timeout", 2)],
            Retries = 2,
        };

        var lines = ClusterStatusView.Lines("redis://:***@h:6379/0", _keys, status);

        lines[0].ShouldBe("Crawl:     docs on redis://:***@h:6379/0 (running)");
        lines.ShouldContain("Requests:  50 in all: 5 pending (1 retries waiting), 2 in progress, 40 done, 2 failed, 1 skipped");
        lines.ShouldContain("Workers:   1 live");
        lines.ShouldContain(line => line.StartsWith("  w1 ", StringComparison.Ordinal) && line.EndsWith("seen 3 s ago", StringComparison.Ordinal));
        lines.ShouldContain("  (1 more not heard from lately: stopped without leaving, or stalled)");
        lines.ShouldContain("Failures:  2 failed (http_404 1, timeout 1); 2 retries (timeout 2)");
        lines.ShouldNotContain(line => line.StartsWith("Corrupt:", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_ShowsWhatWasSetAside_WithRawValuesMadePrintable_AndTheKeyThatHoldsThemAll()
    {
        var status = Status() with
        {
            Corrupt = 7,
            CorruptRecords =
            [
                new RedisCorruptRecord("entries", "000000000000002", "notanumber xx", "{\"url\":\"http://example.com/2\"}", "entries value is not \"priority attempts\"", At, "w1"),
                new RedisCorruptRecord("stats", "done", "\u001b[31mred" + new string('x', 300), null, "not an integer", At, null),
                new RedisCorruptRecord("entries", "000000000000009", null, null, "no entries value", At, null),
            ],
        };

        var lines = ClusterStatusView.Lines("redis://h:6379/0", _keys, status);

        lines.ShouldContain("Corrupt:   7 set aside in trawl:docs:corrupt, with their raw values (newest first):");
        lines.ShouldContain("  entries 000000000000002: 'notanumber xx' (entries value is not \"priority attempts\"); request {\"url\":\"http://example.com/2\"}");
        var counter = lines.Single(line => line.StartsWith("  stats done:", StringComparison.Ordinal));
        counter.ShouldNotContain("\u001b");
        counter.ShouldContain("'?[31mred");
        counter.Length.ShouldBeLessThan(200, "a long value is shortened");
        lines.ShouldContain("  entries 000000000000009: (none) (no entries value)");
    }

    [Theory]
    [InlineData(true, 5, "paused")]
    [InlineData(false, 5, "running")]
    [InlineData(false, 0, "finished")]
    public void State_IsPausedRunningOrFinished(bool paused, long pending, string state)
    {
        var status = Status() with { Paused = paused, Counts = new FrontierCounts(pending, 0, 40, 0, 0) };

        ClusterStatusView.Lines("redis://h/0", _keys, status)[0].ShouldEndWith($"({state})");
        Json(status)["state"]!.GetValue<string>().ShouldBe(state);
    }

    [Fact]
    public void Json_HasTheCountsAndWhatWasSetAside_InSnakeCase()
    {
        var status = Status() with
        {
            Corrupt = 1,
            CorruptRecords = [new RedisCorruptRecord("entries", "000000000000002", "notanumber xx", "{}", "bad", At, "w1")],
        };

        var json = Json(status);

        json["spider"]!.GetValue<string>().ShouldBe("docs");
        json["counts"]!["in_progress"]!.GetValue<long>().ShouldBe(2);
        json["counts"]!["total"]!.GetValue<long>().ShouldBe(50);
        json["corrupt"]!.GetValue<long>().ShouldBe(1);
        json["failed_by_kind"]!.AsArray().ShouldBeEmpty();
        json["corrupt_key"]!.GetValue<string>().ShouldBe("trawl:docs:corrupt");
        var record = json["corrupt_entries"]![0]!;
        record["field"]!.GetValue<string>().ShouldBe("000000000000002");
        record["value"]!.GetValue<string>().ShouldBe("notanumber xx");
        record["worker"]!.GetValue<string>().ShouldBe("w1");
    }

    [Fact]
    public void CorruptRecord_ThatIsNotJson_IsShownWhole_AsItsValue()
    {
        var record = RedisCorruptRecord.Parse("not json at all");

        record.Value.ShouldBe("not json at all");
        record.Reason.ShouldBe("unreadable record");
        RedisCorruptRecord.Parse("""{"key":"tokens","value":"x","reason":"not an integer","at":1767225600000}""")
            .ShouldBe(new RedisCorruptRecord("tokens", null, "x", null, "not an integer", DateTimeOffset.FromUnixTimeMilliseconds(1767225600000), null));
    }

    private JsonNode Json(RedisCrawlStatus status) =>
        JsonNode.Parse(JsonSerializer.Serialize(ClusterStatusView.ToJson("redis://h/0", _keys, status), JobCommands.Json))!;

    private static RedisCrawlStatus Status() => new()
    {
        Spider = "docs",
        Counts = new FrontierCounts(5, 2, 40, 2, 1),
        Delayed = 1,
        At = At,
    };
}
