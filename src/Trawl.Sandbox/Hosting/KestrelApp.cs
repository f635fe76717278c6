using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Trawl.Sandbox.Hosting;

/// <summary>
/// A bare Kestrel application on one address: plain HTTP/1.1, no logging, no Server header, and no console lifetime,
/// so Ctrl+C and SIGTERM stay with the host process. The sandbox site and the CLI's metrics endpoint are built on it.
/// </summary>
internal static class KestrelApp
{
    /// <summary>Builds the application; map its endpoints, then <c>StartAsync</c> it.</summary>
    public static WebApplication Create(IPAddress address, int port, TimeSpan shutdownTimeout, Action<KestrelServerOptions>? configure = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(KestrelApp).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, SilentHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = shutdownTimeout);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            configure?.Invoke(kestrel);
            kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        return builder.Build();
    }

    /// <summary>The port a started application listens on (the one picked when it was asked for port 0).</summary>
    public static int BoundPort(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First()).Port;

    /// <summary>Stops the application, giving open requests up to <paramref name="timeout"/>, then disposes it.</summary>
    public static async Task StopAsync(WebApplication app, TimeSpan timeout)
    {
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            await app.StopAsync(cancel.Token).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
