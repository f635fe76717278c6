using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Trawl.Tests.Support;

/// <summary>Where a started test server listens.</summary>
public static class KestrelAddress
{
    /// <summary>The base URL (with a trailing slash) of a started app that listens on one address, such as port 0.</summary>
    public static Uri BaseUrl(this WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single().TrimEnd('/') + "/");
}
