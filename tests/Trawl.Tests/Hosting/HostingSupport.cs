using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trawl.Hosting;
using Trawl.Tests.Redis;

namespace Trawl.Tests.Hosting;

/// <summary>
/// A Generic Host built as an application would build it, with its configuration given by the test, its log captured,
/// and the process's signals and exit code left alone (the test runner's are not the host's to take).
/// </summary>
internal sealed class TestHost : IDisposable
{
    private TestHost(IHost host, CapturingLoggerProvider logs, RecordingExitCode exitCode)
    {
        Host = host;
        Logs = logs;
        ExitCode = exitCode;
    }

    public IHost Host { get; }

    public CapturingLoggerProvider Logs { get; }

    /// <summary>The exit code a failed crawl set, or <see langword="null"/>.</summary>
    public RecordingExitCode ExitCode { get; }

    public IServiceProvider Services => Host.Services;

    public IHostApplicationLifetime Lifetime => Host.Services.GetRequiredService<IHostApplicationLifetime>();

    /// <param name="settings">The configuration, as appsettings.json would give it (keys such as <c>Trawl:Concurrency</c>).</param>
    /// <param name="register">Registers the crawls: <c>services.AddTrawl...</c>.</param>
    /// <param name="configure">Adds other configuration sources, after <paramref name="settings"/>.</param>
    public static TestHost Create(IDictionary<string, string?> settings, Action<IServiceCollection> register, Action<IConfigurationBuilder>? configure = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        configure?.Invoke(builder.Configuration);
        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Debug).AddProvider(logs);
        var exitCode = new RecordingExitCode();
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.Services.AddSingleton<ProcessExitCode>(exitCode);
        register(builder.Services);
        return new TestHost(builder.Build(), logs, exitCode);
    }

    /// <summary>Whether a message with this event id has been logged.</summary>
    public bool Logged(int eventId) => Logs.Entries.Any(e => e.Id.Id == eventId);

    /// <summary>The text of the messages logged with this event id.</summary>
    public IReadOnlyList<string> Messages(int eventId) => [.. Logs.Entries.Where(e => e.Id.Id == eventId).Select(e => e.Text)];

    public void Dispose() => Host.Dispose();

    /// <summary>Keeps the exit code a crawl would give the process.</summary>
    public sealed class RecordingExitCode : ProcessExitCode
    {
        public int? Code { get; private set; }

        public override void Set(int code) => Code ??= code;
    }

    // The host's default lifetime would take the test runner's Ctrl+C and SIGTERM.
    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
