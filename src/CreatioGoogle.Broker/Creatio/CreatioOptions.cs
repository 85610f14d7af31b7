using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Creatio;

/// <summary>How the broker signs in to Creatio (facts §4.1).</summary>
public enum CreatioAuthMode
{
    /// <summary>AuthService.svc/Login with the tenant's integration user; cookies plus the BPMCSRF header.</summary>
    FormsLogin,

    /// <summary>OAuth 2.0 client credentials against Creatio's identity service; a bearer token.</summary>
    ClientCredentials,
}

/// <summary>
/// Settings of the Creatio client (section <c>Creatio</c>). Each tenant's site is <c>Tenants__{id}__CreatioUrl</c>;
/// user/password or client id/secret are secrets (<c>tenant-{id}-creatio-*</c>), never settings.
/// </summary>
public sealed class CreatioOptions : IValidatableObject
{
    public const string Section = "Creatio";

    public CreatioAuthMode AuthMode { get; set; } = CreatioAuthMode.FormsLogin;

    /// <summary>Creatio's identity service (its <c>/connect/token</c>); required for <see cref="CreatioAuthMode.ClientCredentials"/>.</summary>
    public Uri? IdentityServerUrl { get; set; }

    /// <summary>OData 4 root relative to the site: <c>0/odata</c> on .NET Framework Creatio, <c>odata</c> on .NET Core.</summary>
    [RegularExpression("^[A-Za-z0-9_./-]+$")] public string ODataPath { get; set; } = "0/odata";

    /// <summary>Rows per page (<c>$top</c>). Kept far below MaxEntityRowCount (20,000).</summary>
    [Range(1, 20_000)] public int PageSize { get; set; } = 100;

    /// <summary>Operations per <c>$batch</c>; Creatio accepts at most 100.</summary>
    [Range(1, 100)] public int BatchSize { get; set; } = 100;

    /// <summary>Timeout of one HTTP attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of a request including its retries.</summary>
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Retries of safe requests (GET) on 5xx/408/429/network errors. POST/PATCH/DELETE and $batch are never retried blindly.</summary>
    [Range(0, 10)] public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Base of the exponential back-off between retries.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A client-credentials token is renewed this long before it expires.</summary>
    public TimeSpan TokenRefreshMargin { get; set; } = TimeSpan.FromMinutes(2);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AuthMode == CreatioAuthMode.ClientCredentials && IdentityServerUrl is not { IsAbsoluteUri: true })
        {
            yield return new ValidationResult("Creatio__IdentityServerUrl (an absolute URL) is required when Creatio__AuthMode is ClientCredentials.",
                [nameof(IdentityServerUrl)]);
        }

        if (AttemptTimeout <= TimeSpan.Zero || TotalRequestTimeout <= AttemptTimeout)
        {
            yield return new ValidationResult("Creatio__AttemptTimeout must be positive and shorter than Creatio__TotalRequestTimeout.",
                [nameof(AttemptTimeout), nameof(TotalRequestTimeout)]);
        }

        if (RetryBaseDelay < TimeSpan.Zero || TokenRefreshMargin < TimeSpan.Zero)
        {
            yield return new ValidationResult("Creatio__RetryBaseDelay and Creatio__TokenRefreshMargin cannot be negative.",
                [nameof(RetryBaseDelay), nameof(TokenRefreshMargin)]);
        }
    }
}
