using System.Globalization;
using StackExchange.Redis;

namespace Trawl.Redis;

/// <summary>
/// A caller's ear on the crawl's <c>events</c> channel: a signal that any change wakes (take <see cref="Changed"/>
/// before looking, so a change announced after the look is not missed), and the cluster's pause state as last heard.
/// </summary>
internal sealed class CrawlEvents
{
    private readonly RedisConnection _redis;
    private readonly RedisChannel _channel;
    private readonly Action<RedisChannel, RedisValue> _onEvent;
    private TaskCompletionSource _changed = NewSignal();
    private long _pauseState;
    private int _subscribed;

    /// <summary>The first look again of a waiter that nothing woke; it doubles up to the idle poll interval (<see cref="NextPoll"/>).</summary>
    public static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(50);

    public CrawlEvents(CrawlScripts crawl)
    {
        _redis = crawl.Connection;
        _channel = new RedisChannel(crawl.Keys.Events, RedisChannel.PatternMode.Literal);
        _onEvent = (_, message) => OnEvent(message);
    }

    /// <summary>Completes at the next change this caller hears of (its own, or another's by pub/sub).</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>Whether the cluster is paused, as last heard (see <see cref="ObservePauseState"/>).</summary>
    public bool IsPaused => (Volatile.Read(ref _pauseState) & 1) == 1;

    public async Task SubscribeAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 1)
        {
            return;
        }

        await _redis.RunAsync("subscribe", async _ =>
        {
            await _redis.Multiplexer.GetSubscriber().SubscribeAsync(_channel, _onEvent).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops listening, if it was; best effort, for leaving.</summary>
    public async Task UnsubscribeAsync()
    {
        if (Interlocked.Exchange(ref _subscribed, 0) == 1)
        {
            await _redis.TryOnceAsync(_ => _redis.Multiplexer.GetSubscriber().UnsubscribeAsync(_channel, _onEvent), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
    }

    /// <summary>The next backoff of a waiter's looks: double the last, at most <paramref name="idlePoll"/>.</summary>
    public static TimeSpan NextPoll(TimeSpan poll, TimeSpan idlePoll) => poll * 2 > idlePoll ? idlePoll : poll * 2;

    /// <summary>Wakes whoever waits on <see cref="Changed"/>.</summary>
    public void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    /// <summary>
    /// Keeps <paramref name="state"/> (pause_epoch × 2, + 1 while paused; see <c>pause.lua</c>) unless a newer one was
    /// heard: a lease reply read before a pause can arrive after the pub/sub message announcing it.
    /// </summary>
    public void ObservePauseState(long state)
    {
        var current = Volatile.Read(ref _pauseState);
        while ((state >> 1) >= (current >> 1) && state != current)
        {
            var seen = Interlocked.CompareExchange(ref _pauseState, state, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void OnEvent(RedisValue message)
    {
        var text = (string?)message;
        if (text is not null && text.StartsWith("pause ", StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var state))
        {
            ObservePauseState(state);
        }

        Signal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
