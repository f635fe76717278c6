using System.Threading.Channels;
using Trawl.Frontier;

namespace Trawl.Engine;

/// <summary>
/// Group commit: every finished request's <see cref="Completion"/> goes into one bounded channel, and a single reader
/// hands them to a commit function in batches. With an interval, a batch gathers for up to that long, but is committed
/// sooner when <see cref="CommitSoon"/> asks (the crawl is starved for the links the batch discovered), when it is
/// full, or when the run is hurrying to stop.
/// </summary>
/// <remarks>
/// <para>Shaped like Serilog's <c>BatchingSink</c>: a bounded channel (awaiting a full one is the backpressure), one
/// reader, an idempotent <see cref="Complete"/>, and <see cref="DisposeAsync"/> that drains what is buffered.</para>
/// <para>A commit that throws stops the loop: the channel is completed with that error, so writers get a
/// <see cref="ChannelClosedException"/>, and <c>onFault</c> is told (the crawl pauses; nothing committed is lost). An
/// <see cref="OperationCanceledException"/> while <c>abort</c> is cancelled ends the loop quietly: a stop at once leaves
/// uncommitted completions uncommitted, and a durable job retries them.</para>
/// </remarks>
internal sealed class CommitLoop : IAsyncDisposable
{
    /// <summary>The most completions committed as one batch.</summary>
    public const int MaxBatch = 512;

    private readonly Channel<Completion> _channel = Channel.CreateBounded<Completion>(new BoundedChannelOptions(4 * MaxBatch) { SingleReader = true });
    private readonly Channel<bool> _soon = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Func<List<Completion>, ValueTask> _commit;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly CancellationToken _hurry;
    private readonly CancellationToken _abort;
    private readonly Action<Exception> _onFault;
    private readonly Task _loop;

    /// <param name="commit">Commits one batch; the list is reused once it returns.</param>
    /// <param name="interval">How long a batch may gather; <see cref="TimeSpan.Zero"/> commits what is there at once.</param>
    /// <param name="time">The clock of the interval.</param>
    /// <param name="hurry">Once cancelled, batches no longer gather: the run is stopping.</param>
    /// <param name="abort">Once cancelled, a cancellation from <paramref name="commit"/> ends the loop quietly.</param>
    /// <param name="onFault">Told the error when a commit fails and the loop stops.</param>
    public CommitLoop(Func<List<Completion>, ValueTask> commit, TimeSpan interval, TimeProvider time, CancellationToken hurry, CancellationToken abort, Action<Exception> onFault)
    {
        _commit = commit;
        _interval = interval;
        _time = time;
        _hurry = hurry;
        _abort = abort;
        _onFault = onFault;
        _loop = RunAsync();
    }

    /// <summary>Completions waiting to be committed.</summary>
    public int Waiting => _channel.Reader.Count;

    /// <summary>
    /// Hands a completion over. Returns once it is buffered; waits while the buffer is full.
    /// </summary>
    /// <exception cref="ChannelClosedException">The loop stopped after a failed commit, or was completed.</exception>
    public ValueTask WriteAsync(Completion completion, CancellationToken cancellationToken)
    {
        if (_channel.Writer.TryWrite(completion))
        {
            AfterWrite();
            return ValueTask.CompletedTask;
        }

        return WriteSlowAsync(completion, cancellationToken);
    }

    /// <summary>Asks for the batch gathering now to be committed without waiting out the interval.</summary>
    public void CommitSoon() => _soon.Writer.TryWrite(true);

    /// <summary>Takes no more completions; the loop commits what is buffered and ends. Calling it again does nothing.</summary>
    public void Complete()
    {
        _channel.Writer.TryComplete();
        CommitSoon();
    }

    /// <summary>Completes the loop and waits until it has committed what was buffered (or stopped on an error).</summary>
    public async ValueTask DisposeAsync()
    {
        Complete();
        await _loop.ConfigureAwait(false);
    }

    private async ValueTask WriteSlowAsync(Completion completion, CancellationToken cancellationToken)
    {
        await _channel.Writer.WriteAsync(completion, cancellationToken).ConfigureAwait(false);
        AfterWrite();
    }

    private void AfterWrite()
    {
        if (_channel.Reader.Count >= MaxBatch)
        {
            CommitSoon();
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<Completion>(MaxBatch);
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                Fill(reader, batch);
                if (_interval > TimeSpan.Zero)
                {
                    await GatherAsync(reader, batch).ConfigureAwait(false);
                }

                if (batch.Count > 0)
                {
                    await _commit(batch).ConfigureAwait(false);
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Stopped at once: what was committed stays committed; a durable job retries the rest.
            _channel.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _channel.Writer.TryComplete(ex);
            _onFault(ex);
        }
    }

    private static void Fill(ChannelReader<Completion> reader, List<Completion> batch)
    {
        while (batch.Count < MaxBatch && reader.TryRead(out var completion))
        {
            batch.Add(completion);
        }
    }

    // Gathers for up to the interval, unless asked to commit soon, the batch is full, or the run is stopping.
    private async Task GatherAsync(ChannelReader<Completion> reader, List<Completion> batch)
    {
        if (batch.Count >= MaxBatch || reader.Completion.IsCompleted || _hurry.IsCancellationRequested)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_interval, _time);
        try
        {
            await _soon.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The interval is up.
        }

        Fill(reader, batch);
    }
}
