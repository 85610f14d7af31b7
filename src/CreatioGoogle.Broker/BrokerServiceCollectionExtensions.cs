using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Contacts;
using CreatioGoogle.Broker.Tenants;
using CreatioGoogle.Broker.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker;

/// <summary>One registration of the broker, used by the Functions host and the local host alike.</summary>
public static class BrokerServiceCollectionExtensions
{
    public static IServiceCollection AddBroker(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSecretStore(configuration);

        services.AddOptions<BrokerOptions>().Bind(configuration.GetSection(BrokerOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<GoogleOptions>().Bind(configuration.GetSection(GoogleOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TenantsOptions>()
            .Configure(o => configuration.GetSection(TenantsOptions.Section).Bind(o.Tenants))
            .Validate(o => o.Tenants.Keys.All(id => TenantAuthenticator.TenantIdPattern().IsMatch(id)),
                "Tenant ids (Tenants__<id>__...) must be lower-case letters, digits and dashes.")
            .Validate(o => o.Tenants.Values.All(t => t.ReturnUrls.Count > 0 && t.ReturnUrls.All(u => u.IsAbsoluteUri)),
                "Every tenant needs at least one absolute return URL (Tenants__<id>__ReturnUrls__0).")
            .ValidateOnStart();

        services.AddSingleton(sp => new StorageAccount(configuration));
        services.AddSingleton<BrokerTables>();
        services.AddSingleton<TokenProtector>();
        services.AddSingleton<ConnectionStore>();
        services.AddSingleton<PendingAuthorizationStore>();
        services.AddSingleton<TenantAuthenticator>();
        services.TryAddSingleton<IConnectionEvents, NoConnectionEvents>();

        services.AddHttpClient(GoogleOAuthClient.HttpClientName)
            .AddStandardResilienceHandler(o =>
            {
                // A token request is a POST: a retry after a lost answer could spend a one-time code twice.
                o.Retry.DisableForUnsafeHttpMethods();
            });
        services.AddSingleton<GoogleOAuthClient>();

        services.AddOptions<SyncOptions>().Bind(configuration.GetSection(SyncOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CursorStore>();
        services.AddSingleton<LinkStore>();
        services.AddSingleton<SyncQueue>();
        services.AddSingleton<SyncScheduler>();
        services.AddSingleton<SyncRunner>();
        services.AddSingleton<SyncApi>();
        services.TryAddSingleton<IGoogleAccessTokenSource, StoredAccessTokenSource>();
        services.AddContactsSync(configuration);

        services.AddSingleton<ConnectFlow>();
        services.AddSingleton<ConnectionsApi>();
        return services;
    }
}
