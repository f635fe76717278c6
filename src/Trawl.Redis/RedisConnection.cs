using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Trawl.Logging;

namespace Trawl.Redis;

/// <summary>How operations retry while Redis is unreachable.</summary>
internal sealed record RedisRetryPolicy(TimeProvider Time, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan MaxOutage, TimeSpan OperationTimeout);

/// <summary>
/// One multiplexed connection to Redis (shared by a worker's frontier and limiter), and the retry loop every operation
/// runs in: an operation that fails because Redis is unreachable, restarting or slow is retried with capped exponential
/// backoff (on the <see cref="TimeProvider"/>) while the multiplexer reconnects in the background.
/// </summary>
/// <remarks>
/// Retrying is safe because every change is one atomic script that either ran or did not: releases and renewals are
/// checked by token, and lease, completion and add batches are memoized by operation id, so a batch whose reply was lost
/// is not applied twice.
/// </remarks>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly bool _ownsMultiplexer;
    private readonly RedisRetryPolicy _policy;
    private readonly ILogger _logger;
    private readonly string? _secret;
    private int _disposed;
    private int _connected;
    private int _authenticationFailed;

    public RedisConnection(IConnectionMultiplexer multiplexer, bool ownsMultiplexer, int database, string endpoint, string? secret, RedisRetryPolicy policy, ILogger logger)
    {
        Multiplexer = multiplexer;
        _ownsMultiplexer = ownsMultiplexer;
        Database = multiplexer.GetDatabase(database);
        Endpoint = endpoint;
        _secret = secret;
        _policy = policy;
        _logger = logger;
        if (ownsMultiplexer)
        {
            multiplexer.ConnectionFailed += OnConnectionFailed;
            multiplexer.ConnectionRestored += OnConnectionRestored;
        }
    }

    public IConnectionMultiplexer Multiplexer { get; }

    public IDatabase Database { get; }

    /// <summary>The server, as a redacted URL.</summary>
    public string Endpoint { get; }

    public TimeProvider Time => _policy.Time;

    /// <summary>
    /// Connects to the server <see cref="RedisCrawlOptions.Url"/> names, with the options' TLS, retry and connection
    /// settings, and owns the multiplexer.
    /// </summary>
    public static async Task<RedisConnection> OpenAsync(RedisCrawlOptions options, string clientName, ILogger logger)
    {
        var url = RedisUrl.Parse(options.Url);
        var multiplexer = await ConnectAsync(url, clientName, options.TlsCaCertificatePath, options.ConfigureConnection).ConfigureAwait(false);
        return new RedisConnection(multiplexer, ownsMultiplexer: true, url, options, logger);
    }

    /// <summary>A connection over <paramref name="multiplexer"/>, to the database and with the retry settings of <paramref name="options"/>.</summary>
    public RedisConnection(IConnectionMultiplexer multiplexer, bool ownsMultiplexer, RedisUrl url, RedisCrawlOptions options, ILogger logger)
        : this(multiplexer, ownsMultiplexer, url.Database, url.RedactedUrl, url.Password, options.RetryPolicy, logger)
    {
    }

    /// <summary>Connects a multiplexer that does not give up when the server is down: it keeps reconnecting in the background.</summary>
    public static async Task<IConnectionMultiplexer> ConnectAsync(RedisUrl url, string clientName, string? caCertificatePath, Action<ConfigurationOptions>? configure)
    {
        var options = url.ToConfigurationOptions(clientName);
        if (caCertificatePath is not null)
        {
            var authority = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(caCertificatePath).ConfigureAwait(false));
            options.CertificateValidation += (_, certificate, _, errors) => IsTrusted(certificate, errors, authority);
        }

        configure?.Invoke(options);
        // The connect log is where a refused password shows when it happens before any handler of ours is attached;
        // then the client only retries in the background, and operations see "no connection available" until they
        // give up, so a wrong password would look like an outage.
        using var log = new StringWriter(CultureInfo.InvariantCulture);
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(options, log).ConfigureAwait(false);
        if (!multiplexer.IsConnected && MentionsAuthenticationFailure(log.ToString()))
        {
            multiplexer.Dispose();
            throw new RedisUnavailableException($"Redis at {url.RedactedUrl} refused to authenticate: check the user and password in the URL.");
        }

        return multiplexer;
    }

    /// <summary>Replaces the password, wherever it appears, with <c>***</c>.</summary>
    public string Sanitize(string? message)
    {
        message ??= string.Empty;
        return string.IsNullOrEmpty(_secret) ? message : message.Replace(_secret, "***", StringComparison.Ordinal);
    }

    /// <summary>Runs <paramref name="action"/>, retrying it while Redis is unreachable.</summary>
    /// <exception cref="RedisUnavailableException">Redis stayed unreachable for longer than the policy's MaxOutage.</exception>
    public async Task<T> RunAsync<T>(string operation, Func<IDatabase, Task<T>> action, CancellationToken cancellationToken)
    {
        var started = _policy.Time.GetTimestamp();
        var attempt = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            attempt++;
            string error;
            try
            {
                var result = await action(Database).WaitAsync(_policy.OperationTimeout, _policy.Time, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _connected, 1);
                if (attempt > 1)
                {
                    Log.OperationRecovered(_logger, operation, attempt, _policy.Time.GetElapsedTime(started));
                }

                return result;
            }
            catch (RedisConnectionException ex) when (NeverAuthenticated && (IsAuthenticationFailure(ex) || Volatile.Read(ref _authenticationFailed) == 1))
            {
                // A wrong or missing password at start is a configuration error, not an outage: say so instead of
                // retrying forever. The client's exception is not kept as the cause: its text is not under our control.
                throw AuthenticationRefused(Sanitize(ex.Message));
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                error = $"{ex.GetType().Name}: {Sanitize(ex.Message)}";
            }

            var elapsed = _policy.Time.GetElapsedTime(started);
            if (_policy.MaxOutage != Timeout.InfiniteTimeSpan && elapsed >= _policy.MaxOutage)
            {
                Log.OperationGaveUp(_logger, operation, elapsed, error);
                if (NeverAuthenticated && Volatile.Read(ref _authenticationFailed) == 1)
                {
                    // The attempts timed out while connecting, and meanwhile the connection reported the real reason.
                    throw AuthenticationRefused(error);
                }

                throw new RedisUnavailableException(string.Create(CultureInfo.InvariantCulture,
                    $"Redis at {Endpoint} was unreachable for {Wording.Duration(elapsed)} during {operation}: {WithoutDiagnostics(error)}"));
            }

            var delay = Backoff(attempt);
            Log.OperationRetrying(_logger, operation, attempt, error, delay);
            await Task.Delay(delay, _policy.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="action"/> once, for best-effort work such as leaving the crawl on shutdown.</summary>
    public async Task TryOnceAsync(Func<IDatabase, Task> action, TimeSpan timeout)
    {
        try
        {
            await action(Database).WaitAsync(timeout, _policy.Time).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex, CancellationToken.None))
        {
            // Best effort: Redis is unreachable, and what this would have done expires on its own.
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1 || !_ownsMultiplexer)
        {
            return ValueTask.CompletedTask;
        }

        Multiplexer.ConnectionFailed -= OnConnectionFailed;
        Multiplexer.ConnectionRestored -= OnConnectionRestored;

        // Every operation of ours has been awaited by now: nothing is left to wait for, not even the reply to QUIT.
        Multiplexer.Close(allowCommandsToComplete: false);
        Multiplexer.Dispose();
        return ValueTask.CompletedTask;
    }

    private static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2 authority)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private bool NeverAuthenticated => Volatile.Read(ref _connected) == 0;

    private RedisUnavailableException AuthenticationRefused(string error) =>
        new($"Redis at {Endpoint} refused to authenticate: check the user and password in the URL. ({WithoutDiagnostics(error)})");

    // StackExchange.Redis appends its connection diagnostics (buffers, timings, states) to the reason: useful in a log,
    // noise in the one line a command prints.
    private static string WithoutDiagnostics(string error)
    {
        var at = error.IndexOf(", origin:", StringComparison.Ordinal);
        return at < 0 ? error : error[..at];
    }

    private static bool IsAuthenticationFailure(RedisConnectionException ex) =>
        ex.FailureType == ConnectionFailureType.AuthenticationFailure || MentionsAuthenticationFailure(ex.Message);

    // A refused login, as the client words it: its failure type, or the server's reply to AUTH (WRONGPASS) or to the
    // command after it (NOAUTH), which the connect log can show before the failure itself is reported.
    private static bool MentionsAuthenticationFailure(string text) =>
        text.Contains("AuthenticationFailure", StringComparison.Ordinal) || text.Contains("NOAUTH", StringComparison.Ordinal)
        || text.Contains("WRONGPASS", StringComparison.Ordinal);

    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisServerException server => IsTransientServerError(server.Message),
        ObjectDisposedException => false,
        IOException => true,
        _ => false,
    };

    // The server is loading its data after a restart, busy with a long script, or a replica/cluster in transition.
    private static bool IsTransientServerError(string message) =>
        message.StartsWith("LOADING", StringComparison.Ordinal) || message.StartsWith("BUSY", StringComparison.Ordinal)
        || message.StartsWith("READONLY", StringComparison.Ordinal) || message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
        || message.StartsWith("TRYAGAIN", StringComparison.Ordinal);

    private TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Min(attempt - 1, 20);
        var delay = TimeSpan.FromTicks(Math.Min(_policy.MaxDelay.Ticks, _policy.BaseDelay.Ticks * (1L << exponent)));

        // ±20% jitter, so workers that lost Redis together do not all come back in the same millisecond.
        return delay * (0.8 + (Random.Shared.NextDouble() * 0.4));
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        // The background connect reports a refused password here; an operation waiting for a connection then only sees
        // "no connection available", so remember it to fail fast with the real reason.
        if (e.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            Volatile.Write(ref _authenticationFailed, 1);
        }

        Log.ConnectionFailed(_logger, Endpoint, e.FailureType.ToString(), Sanitize(e.Exception?.Message));
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => Log.ConnectionRestored(_logger, Endpoint);
}
