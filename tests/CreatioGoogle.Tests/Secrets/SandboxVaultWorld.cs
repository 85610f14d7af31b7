using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using Azure.Core;
using Azure.Core.Diagnostics;
using Azure.Core.Pipeline;
using Azure.Security.KeyVault.Secrets;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Sandbox.KeyVault;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Secrets;

/// <summary>
/// One sandbox vault, the real SecretClient pointed at it (trusting exactly the vault's certificate), and a
/// KeyVaultSecretStore on a fake clock, with every log line and SDK event captured.
/// </summary>
internal sealed class SandboxVaultWorld : IAsyncDisposable
{
    private readonly AzureEventSourceListener _sdkEvents;

    private SandboxVaultWorld(SandboxKeyVault vault, string token, TimeSpan cacheDuration)
    {
        Vault = vault;
        Client = CreateClient(vault, token);
        Store = new KeyVaultSecretStore(
            Client, Options.Create(new KeyVaultOptions { VaultUri = vault.VaultUri, CacheDuration = cacheDuration }), Clock, Log);
        // The SDK's own diagnostics: captured so a test can prove no secret value reaches any log.
        _sdkEvents = new AzureEventSourceListener((_, message) => SdkEvents.Add(message), EventLevel.Verbose);
    }

    public SandboxKeyVault Vault { get; }
    public SecretClient Client { get; }
    public KeyVaultSecretStore Store { get; }
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    public CapturingLogger<KeyVaultSecretStore> Log { get; } = new();
    public ConcurrentBag<string> SdkEvents { get; } = [];

    public static async Task<SandboxVaultWorld> StartAsync(string token = SandboxKeyVault.DefaultAccessToken, TimeSpan? cacheDuration = null)
    {
        var vault = await SandboxKeyVault.StartAsync();
        return new SandboxVaultWorld(vault, token, cacheDuration ?? TimeSpan.FromMinutes(5));
    }

    public static SecretClient CreateClient(SandboxKeyVault vault, string token)
    {
        var pinned = vault.Certificate.GetCertHashString(HashAlgorithmName.SHA256);
#pragma warning disable CA2000 // the transport owns the handler for the client's lifetime
        var handler = new HttpClientHandler
        {
            // Trust this one self-signed certificate and nothing else.
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHashString(HashAlgorithmName.SHA256) == pinned,
        };
#pragma warning restore CA2000
        var options = new SecretClientOptions
        {
            Transport = new HttpClientTransport(handler),
            // The challenge names vault.azure.net; the sandbox host is 127.0.0.1.
            DisableChallengeResourceVerification = true,
        };
        // Short, fixed retries keep the outage tests fast while still exercising the SDK's retry policy.
        options.Retry.MaxRetries = 2;
        options.Retry.Mode = RetryMode.Fixed;
        options.Retry.Delay = TimeSpan.FromMilliseconds(20);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        return KeyVaultSecretStore.CreateClient(vault.VaultUri, new FixedTokenCredential(token), options);
    }

    /// <summary>All text a secret could leak into: captured logs and SDK events.</summary>
    public string AllLogText() => string.Join('\n', Log.Lines) + "\n" + string.Join('\n', SdkEvents);

    public async ValueTask DisposeAsync()
    {
        _sdkEvents.Dispose();
        await Vault.DisposeAsync();
    }
}

/// <summary>The credential seam: returns a fixed token, as a managed identity would return a real one.</summary>
internal sealed class FixedTokenCredential(string token) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(token, DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}

internal sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
        if (state is IEnumerable<KeyValuePair<string, object?>> properties)
        {
            foreach (var (key, value) in properties)
            {
                Lines.Enqueue($"  {key}={value}");
            }
        }
    }
}
