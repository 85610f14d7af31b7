using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Push;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Broker.Storage;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Calendar;
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
        services.AddOptions<TokenOptions>().Bind(configuration.GetSection(TokenOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.RetryBaseDelay <= o.RetryMaxDelay, "Tokens:RetryBaseDelay must not exceed Tokens:RetryMaxDelay.")
            .Validate(o => o.RefreshMargin < o.RenewalWindow, "Tokens:RefreshMargin must be shorter than Tokens:RenewalWindow, or token requests would wait for Google.")
            .ValidateOnStart();
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
        services.TryAddSingleton<IConnectionEvents, StatusCallbackQueue>();

        services.AddHttpClient(GoogleOAuthClient.HttpClientName)
            .AddStandardResilienceHandler(o =>
            {
                // A token request is a POST: a retry after a lost answer could spend a one-time code twice.
                o.Retry.DisableForUnsafeHttpMethods();
            });
        services.AddSingleton<GoogleOAuthClient>();

        services.AddHttpClient(StatusCallbackDelivery.HttpClientName)
            .AddStandardResilienceHandler(o =>
            {
                // Safe to retry a POST here: the Idempotency-Key lets Creatio drop duplicates. Few, quick retries,
                // because the queue retries the whole delivery anyway.
                o.Retry.MaxRetryAttempts = 2;
                o.Retry.Delay = TimeSpan.FromMilliseconds(200);
            });
        services.AddSingleton<StatusCallbackDelivery>();

        services.AddSingleton<TokenRefresh>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<TokenRenewal>();
        services.AddSingleton<DisconnectFlow>();
        services.AddSingleton<PendingRevocationStore>();
        services.AddSingleton<GrantRevocation>();

        services.AddOptions<SyncOptions>().Bind(configuration.GetSection(SyncOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CursorStore>();
        services.AddSingleton<LinkStore>();
        services.AddSingleton<ISyncStateStore>(sp => sp.GetRequiredService<CursorStore>());
        services.AddSingleton<ISyncStateStore>(sp => sp.GetRequiredService<LinkStore>());
        services.AddSingleton<SyncEngine>();
        services.AddSingleton<SyncQueue>();
        services.AddSingleton<SyncRequests>();
        services.AddSingleton<SyncScheduler>();
        services.AddSingleton<SyncRunner>();
        services.AddSingleton<SyncApi>();
        services.TryAddSingleton<IGoogleAccessTokenSource, TokenServiceAccessTokenSource>();
        services.AddContactsSync(configuration);
        services.AddCalendarSync(configuration);
        services.AddPush(configuration);

        services.AddSingleton<ConnectFlow>();
        services.AddSingleton<ConnectionsApi>();
        return services;
    }
}
