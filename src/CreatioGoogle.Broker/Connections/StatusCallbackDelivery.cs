using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CreatioGoogle.Broker.Secrets;
using CreatioGoogle.Broker.Tenants;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.Connections;

/// <summary>
/// Signs status callbacks: <c>X-Broker-Signature: v1=hex(HMAC-SHA256(secret, timestamp + "." + body))</c> with the
/// Unix-seconds timestamp in <c>X-Broker-Timestamp</c>, so the receiver can refuse old replays.
/// </summary>
public static class StatusCallbackSignature
{
    public const string TimestampHeader = "X-Broker-Timestamp";
    public const string SignatureHeader = "X-Broker-Signature";
    public const string IdempotencyHeader = "Idempotency-Key";

    public static string Sign(string secret, string timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "." + body));
        return "v1=" + Convert.ToHexStringLower(mac);
    }

    /// <summary>What a receiver does (and the tests): recompute and compare in constant time.</summary>
    public static bool Verify(string secret, string timestamp, string body, string? signature) =>
        signature is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}

/// <summary>
/// Delivers one queued status callback to the tenant's <c>CallbackUrl</c>. A failure throws, so the queue
/// retries the message (and moves it to the poison queue after host.json's <c>maxDequeueCount</c>).
/// </summary>
public sealed class StatusCallbackDelivery(
    IHttpClientFactory httpClientFactory,
    TenantAuthenticator tenants,
    ISecretStore secrets,
    TimeProvider clock,
    ILogger<StatusCallbackDelivery> logger)
{
    public const string HttpClientName = "status-callbacks";

    public async Task DeliverAsync(string message, CancellationToken cancellationToken)
    {
        var callback = JsonSerializer.Deserialize<StatusCallback>(message, StatusCallback.Json)
            ?? throw new InvalidOperationException("Empty status callback message.");
        var callbackUrl = tenants.Find(callback.TenantId)?.Options.CallbackUrl;
        if (callbackUrl is null)
        {
            // The tenant's callback was removed since the event: nobody to tell.
            logger.LogWarning("Dropping status callback {Id}: tenant {Tenant} has no callback URL", callback.Id, callback.TenantId);
            return;
        }

        var secret = await secrets.GetSecretAsync(SecretNames.TenantWebhookSecret(callback.TenantId), cancellationToken);
        var body = JsonSerializer.Serialize(callback, StatusCallback.Json);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, callbackUrl)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(StatusCallbackSignature.TimestampHeader, timestamp);
        request.Headers.Add(StatusCallbackSignature.SignatureHeader, StatusCallbackSignature.Sign(secret.Value, timestamp, body));
        request.Headers.Add(StatusCallbackSignature.IdempotencyHeader, callback.Id);

        using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"Creatio answered {(int)response.StatusCode} to status callback {callback.Id} ({callback.Event}); the queue will retry.",
                null, response.StatusCode);
        }

        logger.LogInformation("Status callback {Id} ({Event}) delivered for connection {Connection}", callback.Id, callback.Event, callback.ConnectionId);
    }
}
