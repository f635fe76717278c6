using Microsoft.Extensions.Hosting;

namespace Trawl.Sandbox.Hosting;

/// <summary>
/// A host lifetime that does nothing. The default console lifetime would take over Ctrl+C and SIGTERM, which
/// belong to whatever process hosts the sandbox (the CLI, a test run).
/// </summary>
internal sealed class SilentHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
