using System.Globalization;
using System.Text;
using Trawl.Cli.Hosting;
using Trawl.Logging;
using Trawl.Redis;

namespace Trawl.Cli.Commands;

/// <summary>How <c>trawl status --frontier</c> shows a shared crawl: as lines of text, or as an object for <c>--json</c>.</summary>
internal static class ClusterStatusView
{
    // The damaged values shown, newest first; the corrupt list holds them all.
    private const int CorruptShown = 5;
    private const int ValueShown = 120;

    public static object ToJson(string endpoint, RedisKeys keys, RedisCrawlStatus status) => new
    {
        Frontier = endpoint,
        status.Spider,
        State = StateOf(status),
        status.Paused,
        status.Dedup,
        Counts = new
        {
            status.Counts.Pending,
            status.Delayed,
            status.Counts.InProgress,
            status.Counts.Done,
            status.Counts.Failed,
            status.Counts.Skipped,
            status.Counts.Total,
        },
        status.SeedsWaiting,
        status.InvalidSeeds,
        status.Items,
        status.LeasesGranted,
        status.LeasesExpired,
        status.LeasesReclaimed,
        status.Retries,
        status.DoneLast5Minutes,
        status.PagesPerSecond,
        LiveWorkers = status.Workers.Count(worker => worker.Live),
        Workers = status.Workers.Select(worker => new
        {
            worker.Id,
            worker.Host,
            Pid = worker.ProcessId,
            worker.Live,
            worker.LastSeen,
            worker.Leases,
            worker.Done,
        }),
        TopErrors = status.TopErrors.Select(error => new { error.Kind, error.Count }),
        FailedByKind = status.FailedByKind.Select(error => new { error.Kind, error.Count }),
        RetriesByKind = status.RetriesByKind.Select(error => new { error.Kind, error.Count }),
        status.Corrupt,
        CorruptKey = keys.Corrupt,
        CorruptEntries = status.CorruptRecords.Select(record => new
        {
            record.Key,
            record.Field,
            record.Value,
            record.Request,
            record.Reason,
            record.At,
            record.Worker,
        }),
        status.At,
    };

    public static List<string> Lines(string endpoint, RedisKeys keys, RedisCrawlStatus status)
    {
        var counts = status.Counts;
        var live = status.Workers.Where(worker => worker.Live).ToList();
        var lines = new List<string>
        {
            $"Crawl:     {status.Spider} on {endpoint} ({StateOf(status)})",
            Invariant($"Requests:  {counts.Total:N0} in all: {counts.Pending:N0} pending ({status.Delayed:N0} retries waiting), {counts.InProgress:N0} in progress, {counts.Done:N0} done, {counts.Failed:N0} failed, {counts.Skipped:N0} skipped"),
            Invariant($"Seeds:     {status.SeedsWaiting:N0} waiting in start_urls, {status.InvalidSeeds:N0} rejected"),
            Invariant($"Items:     {status.Items:N0}"),
            Invariant($"Rate:      {status.PagesPerSecond:N1} pages/s over the last 5 minutes ({status.DoneLast5Minutes:N0} done)"),
            Invariant($"Leases:    {status.LeasesGranted:N0} granted, {status.LeasesExpired:N0} expired, {status.LeasesReclaimed:N0} taken back from dead workers; {status.Retries:N0} retries"),
            $"Dedup:     {status.Dedup}",
            Invariant($"Workers:   {live.Count:N0} live"),
        };
        lines.AddRange(live.Select(worker => Invariant(
            $"  {worker.Id}  {worker.Leases,6:N0} leases  {worker.Done,8:N0} done  seen {Ago(status.At - worker.LastSeen)} ago")));
        if (status.Workers.Count > live.Count)
        {
            lines.Add(Invariant($"  ({status.Workers.Count - live.Count:N0} more not heard from lately: stopped without leaving, or stalled)"));
        }

        if (counts.Failed > 0 || status.Retries > 0)
        {
            // Failed requests by their final kind, and retries apart: each list adds up to its count.
            lines.Add("Failures:  " + FailureBreakdown.Counted(counts.Failed, "failed", ByKind(status.FailedByKind))
                + "; " + FailureBreakdown.Counted(status.Retries, status.Retries == 1 ? "retry" : "retries", ByKind(status.RetriesByKind)));
        }

        if (status.Corrupt > 0)
        {
            lines.Add(Invariant($"Corrupt:   {status.Corrupt:N0} set aside in {keys.Corrupt}, with their raw values (newest first):"));
            lines.AddRange(status.CorruptRecords.Take(CorruptShown).Select(CorruptLine));
        }

        return lines;
    }

    private static IEnumerable<KeyValuePair<string, long>> ByKind(IEnumerable<RedisErrorCount> counts) =>
        counts.Select(error => KeyValuePair.Create(error.Kind, error.Count));

    private static string CorruptLine(RedisCorruptRecord record)
    {
        var where = record.Field is null ? record.Key : $"{record.Key} {record.Field}";
        var line = $"  {Printable(where)}: {(record.Value is null ? "(none)" : $"'{Printable(record.Value)}'")} ({Printable(record.Reason)})";
        return record.Request is null ? line : $"{line}; request {Printable(record.Request)}";
    }

    // What Redis held may be anything: shortened, and without control characters that would upset a terminal.
    private static string Printable(string text)
    {
        var shown = text.Length > ValueShown ? text[..ValueShown] + "…" : text;
        var builder = new StringBuilder(shown.Length);
        foreach (var c in shown)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }

    private static string StateOf(RedisCrawlStatus status) =>
        status.Paused ? "paused"
        : status.Counts.Pending == 0 && status.Counts.InProgress == 0 && status.SeedsWaiting == 0 ? "finished"
        : "running";

    private static string Ago(TimeSpan span) => Wording.Duration(span < TimeSpan.FromMinutes(2) ? TimeSpan.FromSeconds(Math.Floor(span.TotalSeconds)) : span);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
