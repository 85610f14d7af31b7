using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>Every Creatio-facing API call starts here: the tenant's API key, or a 401 problem saying what is wrong.</summary>
public static class TenantRequests
{
    public static async Task<IActionResult> ForTenantAsync(this TenantAuthenticator authenticator, HttpRequest request,
        Func<Tenant, Task<IActionResult>> handle, CancellationToken cancellationToken)
    {
        string? tenantId = request.Headers[TenantAuthenticator.TenantHeader];
        string? apiKey = request.Headers[TenantAuthenticator.ApiKeyHeader];
        var missing = new List<string>();
        if (string.IsNullOrEmpty(tenantId))
        {
            missing.Add(TenantAuthenticator.TenantHeader);
        }

        if (string.IsNullOrEmpty(apiKey))
        {
            missing.Add(TenantAuthenticator.ApiKeyHeader);
        }

        if (missing.Count > 0)
        {
            return ApiProblem.MissingCredentials(missing);
        }

        // Unknown tenant and wrong key are one answer: the caller cannot probe which tenants exist.
        var tenant = await authenticator.AuthenticateAsync(tenantId, apiKey, cancellationToken);
        return tenant is null ? ApiProblem.InvalidCredentials() : await handle(tenant);
    }

    /// <summary>As <see cref="ForTenantAsync"/>, for a route with a connection id: an id that cannot be one is a 400.</summary>
    public static Task<IActionResult> ForConnectionAsync(this TenantAuthenticator authenticator, HttpRequest request, string connectionId,
        Func<Tenant, Task<IActionResult>> handle, CancellationToken cancellationToken) =>
        authenticator.ForTenantAsync(request, tenant => EdgeRules.IsConnectionId(connectionId)
            ? handle(tenant)
            : Task.FromResult(ApiProblem.Invalid("connectionId",
                "Letters, digits, '-' and '_', at most 64 characters (the broker's ids are 32 hex digits).")), cancellationToken);
}
