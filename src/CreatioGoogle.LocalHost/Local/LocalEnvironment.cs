using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using CreatioGoogle.Broker.OAuth;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Sandbox;
using CreatioGoogle.Sandbox.Azurite;
using CreatioGoogle.Sandbox.Creatio;
using CreatioGoogle.Sandbox.Google;

namespace CreatioGoogle.LocalHost.Local;

/// <summary>
/// The embedded defaults of a local run: whatever is not configured is provided here. Azurite when no
/// storage is set, local secrets (made once, kept in .local/secrets.json) when no Key Vault is set, the
/// sandbox Google when no real Google client is set, and a demo tenant when none is configured.
/// </summary>
public sealed class LocalEnvironment : IAsyncDisposable
{
    public const string DemoTenant = "demo";

    private readonly List<IAsyncDisposable> _started = [];

    private LocalEnvironment(Uri publicBaseUrl) => PublicBaseUrl = publicBaseUrl;

    public Uri PublicBaseUrl { get; }

    /// <summary>Settings to lay over the configuration; only keys the user did not set.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    public SandboxGoogle? Google { get; private set; }
    public SandboxCreatio? Creatio { get; private set; }

    /// <summary>The sandbox Creatio user (SysAdminUnit id) the try page connects, so contacts sync has an owner.</summary>
    public Guid? DemoCreatioUserId { get; private set; }
    public AzuriteInstance? Azurite { get; private set; }
    public string? SecretsFile { get; private set; }
    public bool HasDemoTenant { get; private set; }

    public static async Task<LocalEnvironment> PrepareAsync(IConfiguration configuration, Uri publicBaseUrl, string dataDirectory,
        CancellationToken cancellationToken)
    {
        var local = new LocalEnvironment(publicBaseUrl);
        try
        {
            await local.PrepareStorageAsync(configuration, dataDirectory, cancellationToken);
            local.PrepareSecrets(configuration, dataDirectory);
            await local.PrepareGoogleAsync(configuration, cancellationToken);
            local.PrepareTenant(configuration);
            await local.PrepareCreatioAsync(cancellationToken);
            local.SetDefault(configuration, "Broker:PublicBaseUrl", publicBaseUrl.ToString());
            return local;
        }
        catch
        {
            await local.DisposeAsync();
            throw;
        }
    }

    private async Task PrepareStorageAsync(IConfiguration configuration, string dataDirectory, CancellationToken cancellationToken)
    {
        if (configuration.GetSection("AzureWebJobsStorage").Exists())
        {
            return;
        }

        Azurite = await AzuriteInstance.EnsureOnDefaultPortsAsync(Path.Combine(dataDirectory, "azurite"), cancellationToken);
        _started.Add(Azurite);
        Settings["AzureWebJobsStorage"] = Azurite.ConnectionString;
    }

    /// <summary>
    /// Local secrets live in a file outside git, made once with fresh random values. Setting
    /// <c>LocalRun:RotateTokenKey=true</c> (command line <c>--LocalRun:RotateTokenKey=true</c>) makes a new
    /// token-encryption key and files the old one under <c>SecretVersions</c>, as a new Key Vault version would:
    /// rows under the old key stay readable and the RenewTokens timer re-encrypts them.
    /// </summary>
    private void PrepareSecrets(IConfiguration configuration, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(configuration["KeyVault:VaultUri"]))
        {
            return;
        }

        SecretsFile = Path.Combine(dataDirectory, "secrets.json");
        var secrets = File.Exists(SecretsFile) ? JsonNode.Parse(File.ReadAllText(SecretsFile))!.AsObject() : [];
        var versions = secrets[LocalSecretStore.VersionsSection] as JsonObject ?? [];
        secrets.Remove(LocalSecretStore.VersionsSection);
        var changed = false;
        if (configuration.GetValue<bool>("LocalRun:RotateTokenKey") && secrets[SecretNames.TokenEncryptionKey]?.GetValue<string>() is { } oldKey)
        {
            var keyVersions = versions[SecretNames.TokenEncryptionKey] as JsonObject ?? [];
            keyVersions[LocalSecretStore.VersionOf(oldKey)] = oldKey;
            versions[SecretNames.TokenEncryptionKey] = keyVersions;
            secrets.Remove(SecretNames.TokenEncryptionKey);
            RotatedTokenKey = true;
        }

        foreach (var name in (string[])[SecretNames.TokenEncryptionKey, SecretNames.TenantApiKey(DemoTenant)])
        {
            if (secrets[name] is null)
            {
                secrets[name] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                changed = true;
            }
        }

        foreach (var (name, value) in secrets)
        {
            SetDefault(configuration, $"Secrets:{name}", value?.GetValue<string>());
        }

        foreach (var (name, byVersion) in versions)
        {
            foreach (var (version, value) in byVersion!.AsObject())
            {
                SetDefault(configuration, $"{LocalSecretStore.VersionsSection}:{name}:{version}", value?.GetValue<string>());
            }
        }

        if (changed)
        {
            secrets[LocalSecretStore.VersionsSection] = versions;
            Directory.CreateDirectory(dataDirectory);
            // Relaxed escaping keeps base64 readable ("+" stays "+"), so a person can copy a key out of the file.
            File.WriteAllText(SecretsFile, secrets.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        }
    }

    /// <summary>
    /// Set when this run started clean (it runs the sandbox Google, whose grants do not outlive a run): how many
    /// connections of the last run were forgotten.
    /// </summary>
    public int? ForgottenConnections { get; set; }

    /// <summary>True when this run made a new token-encryption key (LocalRun:RotateTokenKey).</summary>
    public bool RotatedTokenKey { get; private set; }

    private async Task PrepareGoogleAsync(IConfiguration configuration, CancellationToken cancellationToken)
    {
        var realClient = !string.IsNullOrEmpty(configuration[$"Secrets:{SecretNames.GoogleClientId}"])
                         || !string.IsNullOrEmpty(configuration["KeyVault:VaultUri"]);
        if (realClient)
        {
            return;
        }

        // A client secret that exists only for this run: the sandbox forgets it when it stops.
        var clientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        const string clientId = "local-sandbox-client.apps.googleusercontent.com";
        var options = new SandboxGoogleOptions();
        options.Clients.Add(new SandboxClient(clientId, clientSecret,
            RedirectPaths.All.Select(path => new Uri(PublicBaseUrl, path).ToString())));
        Google = await SandboxGoogle.StartAsync(options, cancellationToken);
        _started.Add(Google);

        Settings["Google:AuthorizationEndpoint"] = Google.AuthorizationEndpoint.ToString();
        Settings["Google:TokenEndpoint"] = Google.TokenEndpoint.ToString();
        Settings["Google:RevokeEndpoint"] = Google.RevokeEndpoint.ToString();
        Settings["Google:CertificatesUrl"] = Google.CertificatesUrl.ToString();
        Settings["Google:UserInfoEndpoint"] = Google.UserInfoEndpoint.ToString();
        Settings["Google:Issuers:0"] = Google.Issuer;
        Settings["GooglePeople:BaseUrl"] = Google.PeopleBaseUrl.ToString();
        Settings["GoogleCalendar:BaseUrl"] = Google.CalendarBaseUrl.ToString();
        Settings[$"Secrets:{SecretNames.GoogleClientId}"] = clientId;
        Settings[$"Secrets:{SecretNames.GoogleClientSecret}"] = clientSecret;
    }

    private void PrepareTenant(IConfiguration configuration)
    {
        if (configuration.GetSection("Tenants").GetChildren().Any())
        {
            return;
        }

        HasDemoTenant = true;
        // The demo "Creatio" is this host itself: its try page is where the browser returns.
        Settings[$"Tenants:{DemoTenant}:ReturnUrls:0"] = new Uri(PublicBaseUrl, "/").ToString();
    }

    /// <summary>The demo tenant's Creatio is the sandbox, with a user who owns a few contacts to sync.</summary>
    private async Task PrepareCreatioAsync(CancellationToken cancellationToken)
    {
        if (!HasDemoTenant)
        {
            return;
        }

        const string integrationUser = "Supervisor";
        const string demoUser = "Demo User";
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var options = new SandboxCreatioOptions();
        options.Users.Add(new SandboxCreatioUser(integrationUser, password));
        options.Users.Add(new SandboxCreatioUser(demoUser, Convert.ToHexString(RandomNumberGenerator.GetBytes(16))));
        Creatio = await SandboxCreatio.StartAsync(options, cancellationToken);
        _started.Add(Creatio);

        var owner = Creatio.ContactIdOf(demoUser);
        DemoCreatioUserId = Creatio.Rows("SysAdminUnit").Where(r => r["Name"]?.GetValue<string>() == demoUser)
            .Select(r => Guid.Parse(r["Id"]!.GetValue<string>())).Single();
        foreach (var (given, surname, email) in new[] { ("Ada", "Lovelace", "ada@example.org"), ("Alan", "Turing", "alan@example.org") })
        {
            Creatio.SeedContact(new JsonObject
            {
                ["GivenName"] = given,
                ["Surname"] = surname,
                ["Name"] = $"{given} {surname}",
                ["Email"] = email,
                ["OwnerId"] = owner.ToString(),
            });
        }

        Settings[$"Tenants:{DemoTenant}:CreatioUrl"] = Creatio.BaseUrl.ToString();
        Settings[$"Secrets:{SecretNames.TenantCreatioUser(DemoTenant)}"] = integrationUser;
        Settings[$"Secrets:{SecretNames.TenantCreatioPassword(DemoTenant)}"] = password;
    }

    private void SetDefault(IConfiguration configuration, string key, string? value)
    {
        if (string.IsNullOrEmpty(configuration[key]))
        {
            Settings[key] = value;
        }
    }

    public static string DefaultDataDirectory() =>
        Path.Combine(RepositoryRoot.Find() ?? Directory.GetCurrentDirectory(), ".local");

    public async ValueTask DisposeAsync()
    {
        foreach (var started in Enumerable.Reverse(_started))
        {
            await started.DisposeAsync();
        }
    }
}
