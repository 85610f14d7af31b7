using System.Net;
using System.Net.Sockets;
using CreatioGoogle.Broker;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Functions.Connect;
using CreatioGoogle.LocalHost.Hosting;

namespace CreatioGoogle.LocalHost.Local;

/// <summary>A local run cannot start, for a reason the person running it can fix; the message says how.</summary>
public sealed class LocalRunException(string message, Exception? inner = null) : Exception(message, inner)
{
    public static LocalRunException PortInUse(Uri url, Exception? inner = null) => new(
        $"Port {url.Port} is already in use, so the broker cannot listen at {url.GetLeftPart(UriPartial.Authority)}. " +
        "Another local run may still be going: stop it (Ctrl+C in its terminal), or choose another address with BROKER_URL, e.g." +
        Environment.NewLine + $"  BROKER_URL=http://localhost:{(url.Port == 65535 ? 7072 : url.Port + 1)} dotnet run --project src/CreatioGoogle.LocalHost",
        inner);
}

/// <summary>Builds the local broker: the Functions app's functions on Kestrel, with the local defaults.</summary>
public static class LocalBrokerApp
{
    /// <param name="configure">Last changes to the builder (tests add a log sink here).</param>
    /// <exception cref="LocalRunException">The port of <paramref name="url"/> is taken.</exception>
    public static async Task<(WebApplication App, LocalEnvironment Environment)> CreateAsync(
        string[] args, Uri url, IDictionary<string, string?>? overrides, string dataDirectory, CancellationToken cancellationToken,
        Action<WebApplicationBuilder>? configure = null)
    {
        // Before anything starts or is cleared: a second run on a busy port must not touch the first run's data.
        EnsurePortIsFree(url);

        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddBrokerDefaults();
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        builder.Logging.AddBrokerLogFilters();
        configure?.Invoke(builder);
        var environment = await LocalEnvironment.PrepareAsync(builder.Configuration, url, dataDirectory, cancellationToken);
        try
        {
            builder.Configuration.AddInMemoryCollection(environment.Settings);
            builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
            // Kestrel's own cap for every route; the APIs' JSON cap (EdgeRules.MaxJsonBodyBytes) is the broker's, on both hosts.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = EdgeRules.MaxRequestBodyBytes);
            var app = LocalFunctionHost.Build(builder, typeof(ConnectFunctions).Assembly,
                services => services.AddBroker(builder.Configuration).AddSingleton(environment));
            var requestLog = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(RequestPipeline.LogCategory);
            app.Use((http, next) => RequestPipeline.InvokeAsync(http, () => next(http), requestLog));
            TryPage.Map(app);
            return (app, environment);
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// With the sandbox Google, clears the last run's connections and queued jobs (see <see cref="LocalRunReset"/>),
    /// then starts the app. The clear comes first because the queue listeners and timers start with the app and would
    /// otherwise pick up a job of the last run before it is gone. The port is checked once more just before: Azurite
    /// and the sandboxes took a while to start, and a run that cannot listen must leave the data alone. A port taken
    /// even later is a <see cref="LocalRunException"/> too.
    /// </summary>
    public static async Task StartAsync(WebApplication app, LocalEnvironment environment, Uri url, CancellationToken cancellationToken)
    {
        if (environment.Google is not null)
        {
            EnsurePortIsFree(url);
            environment.ForgottenConnections = await LocalRunReset.ClearAsync(app.Services, app.Configuration, cancellationToken);
        }

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            // Hosted services (timers, queue listeners) may have started beside Kestrel: stop them too.
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            throw LocalRunException.PortInUse(url, e);
        }
    }

    private static void EnsurePortIsFree(Uri url)
    {
        var address = IPAddress.TryParse(url.Host, out var ip) ? ip : IPAddress.Loopback;
        var probe = new TcpListener(address, url.Port);
        try
        {
            probe.Start();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw LocalRunException.PortInUse(url, e);
        }
        finally
        {
            probe.Stop();
        }
    }
}
