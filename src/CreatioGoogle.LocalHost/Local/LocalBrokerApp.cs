using CreatioGoogle.Broker;
using CreatioGoogle.Functions.Connect;
using CreatioGoogle.LocalHost.Hosting;

namespace CreatioGoogle.LocalHost.Local;

/// <summary>Builds the local broker: the Functions app's functions on Kestrel, with the local defaults.</summary>
public static class LocalBrokerApp
{
    public static async Task<(WebApplication App, LocalEnvironment Environment)> CreateAsync(
        string[] args, Uri url, IDictionary<string, string?>? overrides, string dataDirectory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddBrokerDefaults();
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var environment = await LocalEnvironment.PrepareAsync(builder.Configuration, url, dataDirectory, cancellationToken);
        try
        {
            builder.Configuration.AddInMemoryCollection(environment.Settings);
            builder.WebHost.UseUrls(url.GetLeftPart(UriPartial.Authority));
            var app = LocalFunctionHost.Build(builder, typeof(ConnectFunctions).Assembly,
                services => services.AddBroker(builder.Configuration).AddSingleton(environment));
            TryPage.Map(app);
            return (app, environment);
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }
}
