namespace CreatioGoogle.Broker.Tenants;

/// <summary>A Creatio site that authenticated with its API key.</summary>
public sealed record Tenant(string Id, TenantOptions Options)
{
    /// <summary>
    /// True when <paramref name="returnUrl"/> lies under one of the tenant's allowed prefixes: same scheme, host
    /// and port, and a path that starts with the allowed path. A string prefix test would let
    /// <c>https://acme.creatio.com.evil.example</c> through; comparing parsed parts does not.
    /// </summary>
    public bool AllowsReturnUrl(Uri returnUrl) =>
        returnUrl.IsAbsoluteUri
        && returnUrl.Scheme is "https" or "http"
        && string.IsNullOrEmpty(returnUrl.UserInfo)
        && Options.ReturnUrls.Any(allowed =>
            allowed.IsAbsoluteUri
            && string.Equals(allowed.Scheme, returnUrl.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(allowed.IdnHost, returnUrl.IdnHost, StringComparison.OrdinalIgnoreCase)
            && allowed.Port == returnUrl.Port
            && PathIsUnder(returnUrl.AbsolutePath, allowed.AbsolutePath));

    private static bool PathIsUnder(string path, string allowedPath) =>
        allowedPath.EndsWith('/')
            ? path.StartsWith(allowedPath, StringComparison.Ordinal) || path + "/" == allowedPath
            : path == allowedPath || path.StartsWith(allowedPath + "/", StringComparison.Ordinal);
}
