using System.Text;
using StackExchange.Redis;
using Trawl.Frontier;
using Trawl.Http;
using Trawl.Redis;

namespace Trawl.Tests.Redis;

/// <summary>The wire format of the crawl scripts' arguments, as the Lua side reads it (common.lua and each script).</summary>
public sealed class ScriptArgsTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Header_IsPrefixClockWorkerAcksEpoch_AndTheClockIsFilledInWhenSent()
    {
        var args = new ScriptArgs("trawl:s:", "w1", "op-1 op-2 ", "e42").Add(7);

        var first = args.ToArray(1_000);
        var again = args.ToArray(RedisValue.EmptyString);

        first.Select(v => (string)v!).ShouldBe(["trawl:s:", "1000", "w1", "op-1 op-2 ", "e42", "7"]);
        ((string)again[1]!).ShouldBe(string.Empty, "each attempt sends its own clock");
        args.Count.ShouldBe(1);
        ScriptArgs.HeaderLength.ShouldBe(5);
    }

    [Fact]
    public void EntryKey_Is15ZeroPaddedDigits_SoIdsSortAsNumbers()
    {
        ScriptArgs.EntryKey(42).ShouldBe("000000000000042");
        string.CompareOrdinal(ScriptArgs.EntryKey(9), ScriptArgs.EntryKey(10)).ShouldBeLessThan(0);
    }

    [Fact]
    public void Request_IsDedupKeyPriorityAndJson_WithTheDedupKeyOfItsMode()
    {
        var request = new Request("http://example.com/a") { Priority = 3 };
        var bloom = RedisBloomFilter.For(1000, 0.01);

        var exact = Own(new ScriptArgs("p:", "", "", "").AddRequest(request, bloom: null));
        var bloomed = Own(new ScriptArgs("p:", "", "", "").AddRequest(request, bloom));
        var unfiltered = Own(new ScriptArgs("p:", "", "", "").AddRequest(request.WithDontFilter(), bloom));

        exact.Length.ShouldBe(3);
        ((byte[])exact[0]!).ShouldBe([(byte)'x', .. request.Fingerprint.ToBytes()]);
        ((int)exact[1]).ShouldBe(3);
        RequestJson.Deserialize((byte[])exact[2]!).Url.ShouldBe(request.Url);
        var positions = Encoding.ASCII.GetString((byte[])bloomed[0]!);
        positions.ShouldStartWith("b ");
        positions.Split(' ').Length.ShouldBe(1 + bloom.Hashes);
        ((string)unfiltered[0]!).ShouldBe(string.Empty, "DontFilter: always scheduled, marks nothing seen");
    }

    [Fact]
    public void Request_WhoseMetaCannotBeStored_FailsBeforeAnythingIsAdded()
    {
        var args = new ScriptArgs("p:", "", "", "");
        var request = new Request("http://example.com/a") { Meta = { ["handle"] = new Func<int>(() => 1) } };

        Should.Throw<InvalidRequestMetaException>(() => args.AddRequest(request, bloom: null)).Message.ShouldContain("handle");
        args.Count.ShouldBe(0);
    }

    [Fact]
    public void Completion_Done_CarriesItsDiscoveredRequestsAndItems()
    {
        var lease = Lease(12, 99);
        var done = Completion.Done(lease, 200, [new Request("http://example.com/b"), new Request("http://example.com/c")], [Encoding.UTF8.GetBytes("{\"n\":1}")]);

        var values = Own(new ScriptArgs("p:", "", "", "").AddCompletion(done, Now, bloom: null));

        values.Take(9).Select(v => (string)v!).ShouldBe(["000000000000012", "99", "d", "0", "200", string.Empty, string.Empty, "2", "1"]);
        values.Length.ShouldBe(9 + (2 * 3) + 1);
        ((string)values[^1]!).ShouldBe("{\"n\":1}");
    }

    [Fact]
    public void Completion_Retry_SendsItsDelayFromNow_AndNeverItems()
    {
        var retry = Completion.Retry(Lease(1, 2), "timeout", "timed out", Now.AddSeconds(1.5));
        var late = Completion.Retry(Lease(1, 2), "timeout", "timed out", Now.AddSeconds(-5));
        var failed = Completion.Failed(Lease(1, 2), "http_404", "Not Found", 404);
        var skipped = Completion.Skipped(Lease(1, 2), "offsite", "elsewhere");

        Own(new ScriptArgs("p:", "", "", "").AddCompletion(retry, Now, null)).Skip(2).Select(v => (string)v!)
            .ShouldBe(["r", "1500", string.Empty, "timeout", "timed out", "0", "0"]);
        ((string)Own(new ScriptArgs("p:", "", "", "").AddCompletion(late, Now, null))[3]!).ShouldBe("0", "a retry already due waits no more");
        Own(new ScriptArgs("p:", "", "", "").AddCompletion(failed, Now, null)).Skip(2).Select(v => (string)v!)
            .ShouldBe(["f", "0", "404", "http_404", "Not Found", "0", "0"]);
        ((string)Own(new ScriptArgs("p:", "", "", "").AddCompletion(skipped, Now, null))[2]!).ShouldBe("s");
    }

    [Fact]
    public void Lease_IsEntryKeyAndToken()
    {
        Own(new ScriptArgs("p:", "", "", "").AddLease(Lease(5, 123))).Select(v => (string)v!).ShouldBe(["000000000000005", "123"]);
    }

    private static Lease Lease(long entry, long token) => new(entry, token, new Request("http://example.com/x"), 1, Now.AddMinutes(1));

    // The values after the header.
    private static RedisValue[] Own(ScriptArgs args) => args.ToArray(RedisValue.EmptyString)[ScriptArgs.HeaderLength..];
}
