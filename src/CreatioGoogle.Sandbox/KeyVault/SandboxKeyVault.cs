using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Sandbox.KeyVault;

/// <summary>
/// An Azure Key Vault (secrets only) on 127.0.0.1 over HTTPS, speaking the REST subset <c>SecretClient</c> uses:
/// GET <c>/secrets/{name}</c>, GET <c>/secrets/{name}/{version}</c>, PUT <c>/secrets/{name}</c>, with Key Vault's
/// JSON shapes and error bodies, and its bearer challenge: a request without a valid token gets 401 and
/// <c>WWW-Authenticate: Bearer authorization="…/{tenant}", resource="https://vault.azure.net"</c>.
/// It is as strict as the real service about what it checks (api-version, token, names), so a client that works
/// here does the same things it must do against Azure.
/// </summary>
public sealed partial class SandboxKeyVault : IAsyncDisposable
{
    /// <summary>The bearer token the vault accepts unless another is given to <see cref="StartAsync"/>.</summary>
    public const string DefaultAccessToken = "sandbox-key-vault-access-token";

    public const string TenantId = "72f988bf-0000-4000-8000-00000000cafe";

    private readonly ConcurrentDictionary<string, List<StoredVersion>> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly string _accessToken;
    private readonly TimeProvider _time;
    private WebApplication? _app;
    private int _requestCount;
    private volatile int _forcedStatus;

    private SandboxKeyVault(X509Certificate2 certificate, string accessToken, TimeProvider time)
    {
        Certificate = certificate;
        _accessToken = accessToken;
        _time = time;
    }

    /// <summary>The vault's base URI, e.g. <c>https://127.0.0.1:54321/</c>.</summary>
    public Uri VaultUri { get; private set; } = null!;

    /// <summary>The self-signed server certificate made at start; clients trust exactly this one.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Every HTTP request received, including the unauthenticated challenge requests.</summary>
    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>Whether the vault is listening (false after <see cref="StopListeningAsync"/>).</summary>
    public bool IsListening => _app is not null;

    public static async Task<SandboxKeyVault> StartAsync(
        string accessToken = DefaultAccessToken, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var vault = new SandboxKeyVault(CreateCertificate(), accessToken, time ?? TimeProvider.System);
        await vault.ListenAsync(port: 0, cancellationToken);
        return vault;
    }

    /// <summary>Adds a new version of a secret (as a rotation would) and returns its version id.</summary>
    public string SetSecret(string name, string value)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid Key Vault secret name (1-127 letters, digits, dashes).", nameof(name));
        }
        ArgumentNullException.ThrowIfNull(value);
        return AddVersion(name, value).Version;
    }

    /// <summary>
    /// Answers every authenticated request with this status (e.g. 503) and Key Vault's error body, until set to
    /// null: for retry and outage tests where the vault is reachable but failing.
    /// </summary>
    public void RespondWithStatus(HttpStatusCode? status) => _forcedStatus = status is null ? 0 : (int)status.Value;

    /// <summary>Stops listening, so connections are refused: the vault is unreachable. Secrets are kept.</summary>
    public async Task StopListeningAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is { } app)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again on the same address after <see cref="StopListeningAsync"/> (the vault comes back).</summary>
    public Task ResumeListeningAsync(CancellationToken cancellationToken = default) =>
        _app is null ? ListenAsync(VaultUri.Port, cancellationToken) : Task.CompletedTask;

    public Task Stop() => StopListeningAsync();

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync();
        Certificate.Dispose();
    }

    private async Task ListenAsync(int port, CancellationToken cancellationToken)
    {
        var builder = LoopbackHost.CreateBuilder(port, listen => listen.UseHttps(Certificate));
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken);

        VaultUri = LoopbackHost.BaseUrlOf(app);
        _app = app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requestCount);
        var request = context.Request;

        // Key Vault authenticates before anything else; the SDK's first request carries no token (nor body) and
        // learns the authority and resource from this challenge.
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            await UnauthorizedAsync(context, "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }
        if (!CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(authorization["Bearer ".Length..]), System.Text.Encoding.UTF8.GetBytes(_accessToken)))
        {
            await UnauthorizedAsync(context, "AKV10032: Invalid issuer. The access token is not valid for this vault.");
            return;
        }

        if (string.IsNullOrEmpty(request.Query["api-version"]))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "The request URI contains an invalid or missing api-version.");
            return;
        }

        if (_forcedStatus != 0)
        {
            await ErrorAsync(context, _forcedStatus, _forcedStatus >= 500 ? "ServiceUnavailable" : "Forbidden", "The sandbox vault was told to fail.");
            return;
        }

        var segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is < 2 or > 3 || segments[0] != "secrets")
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, "NotFound", $"The path '{request.Path}' is not served by the sandbox vault.");
            return;
        }
        var name = segments[1];
        var version = segments.Length == 3 ? segments[2] : null;
        if (!IsValidName(name))
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "The secret name is invalid.");
            return;
        }

        if (HttpMethods.IsGet(request.Method))
        {
            await GetAsync(context, name, version);
        }
        else if (HttpMethods.IsPut(request.Method) && version is null)
        {
            await PutAsync(context, name);
        }
        else
        {
            await ErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "MethodNotAllowed", $"{request.Method} is not supported on this path.");
        }
    }

    private async Task GetAsync(HttpContext context, string name, string? version)
    {
        StoredVersion? found = null;
        if (_secrets.TryGetValue(name, out var versions))
        {
            lock (versions)
            {
                found = version is null
                    ? versions.LastOrDefault()
                    : versions.FirstOrDefault(v => string.Equals(v.Version, version, StringComparison.OrdinalIgnoreCase));
            }
        }
        if (found is null)
        {
            // Key Vault's own wording: the message names the secret (and version) but never a value.
            var message = version is null
                ? $"A secret with (name/id) {name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
                : $"A secret with (name/id) {name}/{version} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";
            await ErrorAsync(context, StatusCodes.Status404NotFound, "SecretNotFound", message);
            return;
        }
        await WriteBundleAsync(context, name, found);
    }

    private async Task PutAsync(HttpContext context, string name)
    {
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            await ErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "The request body is not valid JSON.");
            return;
        }
        using (body)
        {
            if (!body.RootElement.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "BadParameter", "Property 'value' is required.");
                return;
            }
            await WriteBundleAsync(context, name, AddVersion(name, value.GetString()!));
        }
    }

    private StoredVersion AddVersion(string name, string value)
    {
        var stored = new StoredVersion(Guid.NewGuid().ToString("N"), value, _time.GetUtcNow().ToUnixTimeSeconds());
        var versions = _secrets.GetOrAdd(name, _ => []);
        lock (versions)
        {
            versions.Add(stored);
        }
        return stored;
    }

    private Task WriteBundleAsync(HttpContext context, string name, StoredVersion stored)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        return context.Response.WriteAsJsonAsync(new
        {
            value = stored.Value,
            id = $"{VaultUri.GetLeftPart(UriPartial.Authority)}/secrets/{name}/{stored.Version}",
            attributes = new
            {
                enabled = true,
                created = stored.CreatedUnixSeconds,
                updated = stored.CreatedUnixSeconds,
                recoveryLevel = "Recoverable",
                recoverableDays = 90,
            },
            tags = new Dictionary<string, string>(),
        });
    }

    private static Task UnauthorizedAsync(HttpContext context, string message)
    {
        context.Response.Headers.WWWAuthenticate =
            $"Bearer authorization=\"https://login.microsoftonline.com/{TenantId}\", resource=\"https://vault.azure.net\"";
        return ErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", message);
    }

    private static Task ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = new { code, message } });
    }

    private static bool IsValidName(string name) => SecretName().IsMatch(name);

    [GeneratedRegex("^[0-9a-zA-Z-]{1,127}$")]
    private static partial Regex SecretName();

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=CreatioGoogle Sandbox Key Vault", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Round-trip through PFX so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), password: null);
    }

    private sealed record StoredVersion(string Version, string Value, long CreatedUnixSeconds);
}
