using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Secrets;

/// <summary>
/// Where the Key Vault is. Unset <see cref="VaultUri"/> means "no vault": secrets come from local configuration
/// (see <see cref="LocalSecretStore"/>), which is how a developer runs the broker without Azure.
/// </summary>
public sealed class KeyVaultOptions : IValidatableObject
{
    public const string Section = "KeyVault";

    /// <summary>The vault's URI, e.g. <c>https://kv-abc.vault.azure.net/</c>. Set by the deployment as <c>KeyVault__VaultUri</c>.</summary>
    public Uri? VaultUri { get; set; }

    /// <summary>How long a secret's current value is reused before the vault is asked again (rotations show up within this time).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "KeyVault:CacheDuration must be between 0 and 1 day.")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A relative or plain-http URI would only fail at the first secret read; fail at start instead.
        if (VaultUri is not null && (!VaultUri.IsAbsoluteUri || VaultUri.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult(
                $"KeyVault:VaultUri must be an absolute https URI (got '{VaultUri}').", [nameof(VaultUri)]);
        }
    }
}
