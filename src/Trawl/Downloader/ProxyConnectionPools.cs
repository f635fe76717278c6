using System.Net;
using Trawl.Http;

namespace Trawl.Downloader;

/// <summary>
/// One pooled <see cref="SocketsHttpHandler"/> per distinct proxy (a handler has one proxy), created on first use. At
/// most a fixed number are kept: past it, the pool used least recently is retired, and disposed once its last
/// download ends. Thread-safe; the lock is never held across an await.
/// </summary>
internal sealed class ProxyConnectionPools : IDisposable
{
    private readonly Func<IWebProxy, HttpMessageInvoker> _create;
    private readonly int _max;
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _clock;
    private bool _disposed;

    public ProxyConnectionPools(Func<IWebProxy, HttpMessageInvoker> create, int max)
    {
        _create = create;
        _max = max;
    }

    /// <summary>How many pools are open; for tests.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pools.Count;
            }
        }
    }

    /// <summary>Takes the pool of <paramref name="proxy"/> for one download; dispose the result when the download ends.</summary>
    public Rental Rent(ProxyAddress proxy)
    {
        Pool? retired = null;
        Pool pool;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_pools.TryGetValue(proxy.PoolKey, out pool!))
            {
                if (_pools.Count >= _max)
                {
                    retired = _pools.Values.MinBy(static p => p.LastUsed);
                    _pools.Remove(retired!.Key);
                    retired.Retired = true;
                    retired = retired.Users == 0 ? retired : null;
                }

                var webProxy = new WebProxy(proxy.Address) { BypassProxyOnLocal = false, Credentials = proxy.Credentials };
                pool = new Pool(proxy.PoolKey, _create(webProxy));
                _pools.Add(pool.Key, pool);
            }

            pool.Users++;
            pool.LastUsed = ++_clock;
        }

        retired?.Invoker.Dispose();
        return new Rental(this, pool);
    }

    public void Dispose()
    {
        List<Pool> pools;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            pools = [.. _pools.Values];
            _pools.Clear();
        }

        foreach (var pool in pools)
        {
            pool.Invoker.Dispose();
        }
    }

    private void Return(Pool pool)
    {
        bool dispose;
        lock (_gate)
        {
            pool.Users--;
            dispose = pool.Retired && pool.Users == 0;
        }

        if (dispose)
        {
            pool.Invoker.Dispose();
        }
    }

    /// <summary>A pool taken for one download.</summary>
    internal readonly struct Rental : IDisposable
    {
        private readonly ProxyConnectionPools? _owner;
        private readonly Pool? _pool;

        internal Rental(ProxyConnectionPools owner, Pool pool)
        {
            _owner = owner;
            _pool = pool;
        }

        public HttpMessageInvoker Invoker => _pool!.Invoker;

        public void Dispose()
        {
            if (_pool is not null)
            {
                _owner!.Return(_pool);
            }
        }
    }

    internal sealed class Pool(string key, HttpMessageInvoker invoker)
    {
        public string Key { get; } = key;

        public HttpMessageInvoker Invoker { get; } = invoker;

        public int Users { get; set; }

        public long LastUsed { get; set; }

        public bool Retired { get; set; }
    }
}
