using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using CreatioGoogle.Sandbox.KeyVault;

namespace CreatioGoogle.Tests.Secrets;

/// <summary>The simulator's protocol, checked with a plain HttpClient so it cannot be kinder than Key Vault.</summary>
public sealed class SandboxKeyVaultTests
{
    [Fact]
    public async Task Request_without_token_gets_the_bearer_challenge()
    {
        await using var vault = await SandboxKeyVault.StartAsync();
        using var http = PinnedClient(vault);

        using var response = await http.GetAsync(new Uri(vault.VaultUri, "secrets/google-client-id?api-version=7.6"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(
            $"Bearer authorization=\"https://login.microsoftonline.com/{SandboxKeyVault.TenantId}\", resource=\"https://vault.azure.net\"",
            response.Headers.WwwAuthenticate.ToString());
        var error = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Unauthorized", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_with_a_wrong_token_is_refused()
    {
        await using var vault = await SandboxKeyVault.StartAsync();
        vault.SetSecret("google-client-id", "id");
        using var http = PinnedClient(vault);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "forged");

        using var response = await http.GetAsync(new Uri(vault.VaultUri, "secrets/google-client-id?api-version=7.6"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("\"id\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_returns_key_vaults_secret_bundle_and_404_body_for_missing()
    {
        await using var vault = await SandboxKeyVault.StartAsync();
        var version = vault.SetSecret("google-client-id", "the-id");
        using var http = PinnedClient(vault);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SandboxKeyVault.DefaultAccessToken);

        var bundle = await http.GetFromJsonAsync<JsonElement>(new Uri(vault.VaultUri, $"secrets/google-client-id/{version}?api-version=7.6"));
        using var missing = await http.GetAsync(new Uri(vault.VaultUri, "secrets/nope?api-version=7.6"));
        using var noApiVersion = await http.GetAsync(new Uri(vault.VaultUri, "secrets/google-client-id"));

        Assert.Equal("the-id", bundle.GetProperty("value").GetString());
        Assert.Equal($"{vault.VaultUri}secrets/google-client-id/{version}", bundle.GetProperty("id").GetString());
        Assert.True(bundle.GetProperty("attributes").GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Number, bundle.GetProperty("attributes").GetProperty("created").ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("SecretNotFound", (await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, noApiVersion.StatusCode);
    }

    [Fact]
    public async Task Set_through_the_sdk_adds_a_version()
    {
        await using var vault = await SandboxKeyVault.StartAsync();
        var client = SandboxVaultWorld.CreateClient(vault, SandboxKeyVault.DefaultAccessToken);

        var first = await client.SetSecretAsync("tenant-acme-api-key", "one");
        var second = await client.SetSecretAsync("tenant-acme-api-key", "two");
        var current = await client.GetSecretAsync("tenant-acme-api-key");

        Assert.NotEqual(first.Value.Properties.Version, second.Value.Properties.Version);
        Assert.Equal("two", current.Value.Value);
        Assert.Equal(second.Value.Properties.Version, current.Value.Properties.Version);
    }

    private static HttpClient PinnedClient(SandboxKeyVault vault)
    {
        var pinned = vault.Certificate.GetCertHashString(HashAlgorithmName.SHA256);
#pragma warning disable CA2000 // disposed with the HttpClient
        return new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, c, _, _) => c is not null && c.GetCertHashString(HashAlgorithmName.SHA256) == pinned,
        });
#pragma warning restore CA2000
    }
}
