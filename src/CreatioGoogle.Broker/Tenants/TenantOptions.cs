using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Tenants;

/// <summary>
/// One Creatio site served by this broker (app settings <c>Tenants__{id}__...</c>). Its API key is a secret
/// (<c>tenant-{id}-api-key</c>), not a setting.
/// </summary>
public sealed class TenantOptions
{
    /// <summary>Where the browser may be sent back after connecting: URL prefixes such as <c>https://acme.creatio.com/</c>.</summary>
    [MinLength(1)] public List<Uri> ReturnUrls { get; set; } = [];

    /// <summary>Creatio endpoint that receives signed status callbacks (connected, reconnect needed, ...). Optional.</summary>
    public Uri? CallbackUrl { get; set; }

    /// <summary>The Creatio site (for sync). Optional until a sync feature is used.</summary>
    public Uri? CreatioUrl { get; set; }
}

public sealed class TenantsOptions
{
    public const string Section = "Tenants";

    public Dictionary<string, TenantOptions> Tenants { get; set; } = new(StringComparer.Ordinal);
}
