using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Trawl.Sandbox.Hosting;

/// <summary>
/// Counts requests per request target and the most handled at once, and keeps the optional request log. Lock-free,
/// since the sandbox is hammered by benchmarks: a counter per target, bumped with <see cref="Interlocked"/>.
/// </summary>
internal sealed class RequestRecorder(bool keepLog)
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SandboxRequest>? _log = keepLog ? new() : null;
    private long _total;
    private int _inFlight;
    private int _peakInFlight;

    public long Total => Interlocked.Read(ref _total);

    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    public void Record(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
        {
            // Absolute-form targets (sent to proxies) are counted by their path and query.
            target = context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        }

        Interlocked.Increment(ref _total);
        var inFlight = Interlocked.Increment(ref _inFlight);
        for (var peak = Volatile.Read(ref _peakInFlight); inFlight > peak; peak = Volatile.Read(ref _peakInFlight))
        {
            if (Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak) == peak)
            {
                break;
            }
        }

        Interlocked.Increment(ref _counts.GetOrAdd(target, static _ => new StrongBox<int>()).Value);
        if (_log is not null)
        {
            var userAgent = context.Request.Headers.UserAgent;
            _log.Enqueue(new SandboxRequest(target, Stopwatch.GetTimestamp(), userAgent.Count == 0 ? null : userAgent.ToString()));
        }
    }

    /// <summary>A request recorded by <see cref="Record"/> has been answered (its handler returned).</summary>
    public void Answered() => Interlocked.Decrement(ref _inFlight);

    public int Count(string target) => _counts.TryGetValue(target, out var count) ? Volatile.Read(ref count.Value) : 0;

    public Dictionary<string, int> Counts() =>
        _counts.ToDictionary(pair => pair.Key, pair => Volatile.Read(ref pair.Value.Value), StringComparer.Ordinal);

    public SandboxRequest[] Log() => _log?.ToArray() ?? [];
}
