using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Trawl.Tests.Support;

namespace Trawl.Tests.Redis;

/// <summary>How to start a test <c>redis-server</c>.</summary>
public sealed record RedisServerOptions
{
    /// <summary>Persist every write before replying (<c>--appendonly yes --appendfsync always</c>), for restart tests.</summary>
    public bool AppendOnly { get; init; }

    /// <summary>Require this password (<c>--requirepass</c>).</summary>
    public string? Password { get; init; }

    /// <summary>Serve TLS only, with a certificate for <c>localhost</c> signed by a CA made for the test.</summary>
    public bool Tls { get; init; }

    /// <summary>
    /// With <see cref="Password"/>: turn the <c>default</c> user off and have only this ACL user, allowed what the
    /// Redis README asks of a crawler's user (the crawl's keys and channels, no dangerous commands); the URL names it.
    /// </summary>
    public string? AclUser { get; init; }

    /// <summary>The ACL rules of <see cref="AclUser"/>, after its password: as src/Trawl.Redis/README.md documents them.</summary>
    public static readonly string[] CrawlerAclRules = ["~trawl:*", "&trawl:*", "+@all", "-@dangerous"];
}

/// <summary>
/// A real <c>redis-server</c> child process on a free loopback port, with its data in a temporary directory. It can be
/// killed (SIGKILL) and started again on the same port and directory, for outage and restart tests.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly RedisServerOptions _options;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RedisServer(RedisServerOptions options, int port)
    {
        _options = options;
        Port = port;
    }

    public int Port { get; }

    public string Directory => _directory.Path;

    /// <summary>The CA certificate that signed the server's certificate (TLS servers only).</summary>
    public string? CaCertificatePath { get; private set; }

    /// <summary>The URL to reach the server, with its password if it has one.</summary>
    public string Url => _options.Tls
        ? $"rediss://{Auth}localhost:{Port}/0"
        : $"redis://{Auth}127.0.0.1:{Port}/0";

    public bool IsRunning => _process is { HasExited: false };

    private string Auth => _options.Password is null ? string.Empty : $"{Uri.EscapeDataString(_options.AclUser ?? string.Empty)}:{Uri.EscapeDataString(_options.Password)}@";

    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null)
    {
        var server = new RedisServer(options ?? new RedisServerOptions(), FreePort());
        try
        {
            if (server._options.Tls)
            {
                await server.MakeCertificatesAsync();
            }

            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the server at once (SIGKILL), as a crash or power cut would.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>Starts the server (again) on the same port and data directory, and waits until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("The redis-server is already running.");
        }

        var executable = FindRedisServer();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        foreach (var argument in Arguments())
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(e.Data);
            }

            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"redis-server exited at start:\n{Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"redis-server did not become ready within 30 s:\n{Output}");
        }
    }

    /// <summary>Kills the server and starts it again: a crash and restart.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        await StartAgainAsync();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _directory.Dispose();
    }

    private IEnumerable<string> Arguments()
    {
        yield return "--bind";
        yield return "127.0.0.1";
        yield return "--save";
        yield return string.Empty;
        yield return "--dir";
        yield return Directory;
        yield return "--daemonize";
        yield return "no";
        yield return "--logfile";
        yield return string.Empty;
        if (_options.AppendOnly)
        {
            yield return "--appendonly";
            yield return "yes";
            yield return "--appendfsync";
            yield return "always";
        }
        else
        {
            yield return "--appendonly";
            yield return "no";
        }

        if (_options is { Password: { } acl, AclUser: { } user })
        {
            yield return "--user";
            yield return "default";
            yield return "off";
            yield return "--user";
            yield return user;
            yield return "on";
            yield return ">" + acl;
            foreach (var rule in RedisServerOptions.CrawlerAclRules)
            {
                yield return rule;
            }
        }
        else if (_options.Password is { } password)
        {
            yield return "--requirepass";
            yield return password;
        }

        if (_options.Tls)
        {
            yield return "--port";
            yield return "0";
            yield return "--tls-port";
            yield return Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return "--tls-cert-file";
            yield return Path.Combine(Directory, "server.crt");
            yield return "--tls-key-file";
            yield return Path.Combine(Directory, "server.key");
            yield return "--tls-ca-cert-file";
            yield return Path.Combine(Directory, "ca.crt");
            yield return "--tls-auth-clients";
            yield return "no";
        }
        else
        {
            yield return "--port";
            yield return Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private async Task MakeCertificatesAsync() => CaCertificatePath = (await TestCertificates.CreateAsync(Directory)).CaCertificatePath;

    private static string FindRedisServer()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/local/bin"))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "redis-server is not installed, and the Redis tests need a real one. Install it with 'apt-get install -y redis-server' (CI does this in .ci/run).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>One plain <c>redis-server</c> for a whole test class. Tests isolate themselves by spider name.</summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("The fixture is not started.");

    public async Task InitializeAsync() => _server = await RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
