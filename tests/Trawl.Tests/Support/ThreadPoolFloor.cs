namespace Trawl.Tests.Support;

/// <summary>
/// Raises the thread pool's minimum thread counts for one test and puts them back on dispose.
/// </summary>
/// <remarks>
/// A sandbox server that runs in the test process shares its thread pool with whatever else runs there. On a small,
/// busy machine the pool's slow thread injection can hold the server's request handling back by hundreds of
/// milliseconds, which skews the arrival times it logs; enough threads up front keep the log about the crawler alone.
/// </remarks>
public sealed class ThreadPoolFloor : IDisposable
{
    private readonly int _minWorkers;
    private readonly int _minIo;

    public ThreadPoolFloor(int threads = 16)
    {
        ThreadPool.GetMinThreads(out _minWorkers, out _minIo);
        ThreadPool.SetMinThreads(Math.Max(_minWorkers, threads), Math.Max(_minIo, threads));
    }

    public void Dispose() => ThreadPool.SetMinThreads(_minWorkers, _minIo);
}
