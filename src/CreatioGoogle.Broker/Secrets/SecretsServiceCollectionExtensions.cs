using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Secrets;

public static class SecretsServiceCollectionExtensions
{
    /// <summary>The configuration key of the user-assigned managed identity's client id (set by the deployment).</summary>
    public const string ManagedIdentityClientIdKey = "AZURE_CLIENT_ID";

    /// <summary>
    /// Registers <see cref="ISecretStore"/>: Key Vault when <c>KeyVault:VaultUri</c> is set, local configuration
    /// otherwise. Options are validated when the host starts, so a bad vault URI fails the start, not a request.
    /// </summary>
    public static IServiceCollection AddSecretStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<KeyVaultOptions>()
            .Bind(configuration.GetSection(KeyVaultOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        if (string.IsNullOrWhiteSpace(configuration[$"{KeyVaultOptions.Section}:{nameof(KeyVaultOptions.VaultUri)}"]))
        {
            services.TryAddSingleton<ISecretStore>(_ => new LocalSecretStore(configuration));
            return services;
        }

        services.TryAddSingleton<ISecretStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<KeyVaultOptions>>();
            var credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                // With a user-assigned identity, DefaultAzureCredential must be told which one to use.
                ManagedIdentityClientId = configuration[ManagedIdentityClientIdKey] is { Length: > 0 } clientId ? clientId : null,
            });
            var client = KeyVaultSecretStore.CreateClient(options.Value.VaultUri!, credential);
            return new KeyVaultSecretStore(
                client, options, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<KeyVaultSecretStore>>());
        });
        return services;
    }
}
