using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>Every Creatio-facing API call starts here: the tenant's API key, or a 401 problem.</summary>
public static class TenantRequests
{
    public static async Task<IActionResult> ForTenantAsync(this TenantAuthenticator authenticator, HttpRequest request,
        Func<Tenant, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        var tenant = await authenticator.AuthenticateAsync(
            request.Headers[TenantAuthenticator.TenantHeader], request.Headers[TenantAuthenticator.ApiKeyHeader], cancellationToken);
        return tenant is null ? ApiProblem.Unauthorized() : await handle(tenant);
    }
}
