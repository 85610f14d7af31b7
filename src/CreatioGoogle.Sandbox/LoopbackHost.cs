using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Sandbox;

/// <summary>How every simulator listens: Kestrel on 127.0.0.1 only, with no request logging.</summary>
public static class LoopbackHost
{
    /// <summary>
    /// A slim web app builder bound to 127.0.0.1 (<paramref name="port"/> 0 = any free port). Logging is off:
    /// request logs would print tokens, cookies and passwords that simulators receive in query strings and bodies.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(int port, Action<ListenOptions>? configureListen = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LoopbackHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => configureListen?.Invoke(listen)));
        return builder;
    }

    /// <summary>
    /// Starts a simulator's app and hands it its address; a simulator that fails to start is disposed, not leaked.
    /// </summary>
    public static async Task<T> StartAsync<T>(WebApplication app, T simulator, Action<Uri> bound, CancellationToken cancellationToken)
        where T : IAsyncDisposable
    {
        try
        {
            await app.StartAsync(cancellationToken);
            bound(BaseUrlOf(app));
            return simulator;
        }
        catch
        {
            await simulator.DisposeAsync();
            throw;
        }
    }

    /// <summary>The started app's address, ending in '/'.</summary>
    public static Uri BaseUrlOf(WebApplication app)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(new Uri(address).GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>A port nobody listens on right now (for processes that must be told their port up front).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
