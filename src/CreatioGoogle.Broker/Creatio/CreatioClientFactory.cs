using System.Collections.Concurrent;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Creatio;

/// <summary>
/// Builds <see cref="ICreatioClient"/>s from the tenant's <c>CreatioUrl</c> and <see cref="CreatioOptions"/>. One
/// authenticator per (tenant, site) lives as long as the factory, so a session or token is reused across clients.
/// </summary>
public sealed class CreatioClientFactory(
    IOptions<CreatioOptions> options,
    IOptionsMonitor<TenantsOptions> tenants,
    ISecretStore secrets,
    IHttpClientFactory httpClientFactory,
    TimeProvider time,
    ILoggerFactory loggerFactory) : ICreatioClientFactory
{
    public const string HttpClientName = "creatio";

    private readonly ConcurrentDictionary<(string Tenant, Uri Site), CreatioAuthenticator> _authenticators = new();
    private readonly ILogger _logger = loggerFactory.CreateLogger("CreatioGoogle.Broker.Creatio");

    public ICreatioClient ForTenant(string tenantId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        var url = tenants.CurrentValue.Tenants.TryGetValue(tenantId, out var tenant) ? tenant.CreatioUrl : null;
        if (url is not { IsAbsoluteUri: true })
        {
            throw new InvalidOperationException($"Tenant '{tenantId}' has no Creatio site: set Tenants__{tenantId}__CreatioUrl.");
        }

        var site = new Uri(url.ToString().TrimEnd('/') + "/");
        var settings = options.Value;
        var authenticator = _authenticators.GetOrAdd((tenantId, site), key => settings.AuthMode switch
        {
            CreatioAuthMode.ClientCredentials => new ClientCredentialsAuthenticator(
                key.Tenant, settings.IdentityServerUrl!, secrets, CreateHttpClient, time, settings.TokenRefreshMargin, _logger),
            _ => new FormsLoginAuthenticator(key.Tenant, key.Site, secrets, CreateHttpClient, _logger),
        });
        return new CreatioClient(tenantId, site, settings, CreateHttpClient, authenticator, _logger);
    }

    private HttpClient CreateHttpClient() => httpClientFactory.CreateClient(HttpClientName);
}
