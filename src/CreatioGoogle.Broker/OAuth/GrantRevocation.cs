using System.Globalization;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Tokens;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Broker.OAuth;

/// <summary>Whose grant a revocation is about, for the record and the status API.</summary>
public sealed record GrantOwner(string TenantId, string ConnectionId, string CreatioUserId, string GoogleEmail);

/// <summary>How one call to Google's revoke endpoint went.</summary>
public sealed record RevocationAttempt(RevocationAttemptKind Kind, string? Error)
{
    public static readonly RevocationAttempt Done = new(RevocationAttemptKind.Done, null);
}

public enum RevocationAttemptKind
{
    /// <summary>Revoked now, or Google answered <c>invalid_token</c> (it no longer knows the token).</summary>
    Done,

    /// <summary>Google could not be reached, or answered 429/5xx: worth repeating soon.</summary>
    Unreachable,

    /// <summary>Google answered something else (400 <c>invalid_request</c>, 401 <c>invalid_client</c>, ...): the grant may be live.</summary>
    Refused,
}

/// <summary>
/// Giving Google grants back, top to bottom: one attempt now; anything but Google's "revoked" or "no such token"
/// is recorded (token encrypted) in <c>revocations</c> and retried by the renewal timer with growing delays until
/// Google confirms. A grant the broker still uses for another connection of the same Google account is not revoked:
/// at Google a revocation ends the whole grant of that account to this client, the other connection included.
/// </summary>
public sealed class GrantRevocation(
    GoogleOAuthClient google,
    PendingRevocationStore store,
    ConnectionStore connections,
    TokenProtector protector,
    TimeProvider clock,
    ILogger<GrantRevocation> logger)
{
    /// <summary>Delay before attempt n+1 after n failed ones; the last repeats (a refresh token unused for six months dies anyway).</summary>
    internal static readonly TimeSpan[] RetryDelays =
        [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(1)];

    /// <summary>After this many failed attempts each further failure is logged as an error: someone must look.</summary>
    private const int AttemptsBeforeAlarm = 5;

    /// <summary>One call to Google; records nothing.</summary>
    public async Task<RevocationAttempt> TryRevokeAsync(string token, CancellationToken cancellationToken)
    {
        try
        {
            await google.RevokeAsync(token, cancellationToken);
            return RevocationAttempt.Done;
        }
        catch (GoogleTokenException e)
        {
            var error = string.Create(CultureInfo.InvariantCulture, $"{e.StatusCode} {e.Error}");
            return new RevocationAttempt(e.IsTransient ? RevocationAttemptKind.Unreachable : RevocationAttemptKind.Refused, error);
        }
        catch (Exception e) when (GoogleOAuthClient.IsUnreachable(e, cancellationToken))
        {
            return new RevocationAttempt(RevocationAttemptKind.Unreachable, $"unreachable ({e.GetType().Name})");
        }
    }

    /// <summary>
    /// Gives a grant back now, or records it for retry when Google does not confirm. Null when done (or when the grant
    /// is still in use by another connection of <paramref name="googleSubject"/>); the pending record otherwise.
    /// </summary>
    /// <param name="googleSubject">The account the grant is for, when verified; null when unknown (then it is always revoked).</param>
    public async Task<PendingRevocation?> GiveBackAsync(GrantOwner owner, string? googleSubject, string token, string reason,
        CancellationToken cancellationToken)
    {
        if (googleSubject is not null && await InUseElsewhereAsync(googleSubject, owner.ConnectionId, cancellationToken))
        {
            logger.LogInformation("Google grant given up by connection {Connection} ({Reason}) is still used by another connection of the account; not revoked",
                owner.ConnectionId, reason);
            return null;
        }

        var attempt = await TryRevokeAsync(token, cancellationToken);
        return attempt.Kind == RevocationAttemptKind.Done ? null : await RecordAsync(owner, token, reason, attempt, cancellationToken);
    }

    /// <summary>True when a connection other than <paramref name="connectionId"/> holds a grant of this Google account.</summary>
    public async Task<bool> InUseElsewhereAsync(string googleSubject, string connectionId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(googleSubject))
        {
            return false;
        }

        // Rare path (a disconnect, a refused switch): a scan of one column over all tenants, who share the Google client.
        await foreach (var other in connections.QueryAsync(
                           Azure.Data.Tables.TableClient.CreateQueryFilter($"GoogleSubject eq {googleSubject}"), cancellationToken))
        {
            if (other.ConnectionId != connectionId && other.RefreshTokenCiphertext is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records a failed attempt so the timer retries it and the status API shows it.</summary>
    public async Task<PendingRevocation> RecordAsync(GrantOwner owner, string token, string reason, RevocationAttempt failed,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var revocation = new PendingRevocation
        {
            PartitionKey = owner.TenantId,
            RowKey = Guid.NewGuid().ToString("N"),
            ConnectionId = owner.ConnectionId,
            CreatioUserId = owner.CreatioUserId,
            GoogleEmail = owner.GoogleEmail,
            Reason = reason,
            CreatedAt = now,
            Attempts = 1,
            LastAttemptAt = now,
            LastError = failed.Error,
            NextAttemptAt = now + RetryDelays[0],
        };
        var ciphertext = await protector.ProtectAsync(token, revocation.TokenAssociatedData, cancellationToken);
        revocation.TokenCiphertext = ciphertext.Ciphertext;
        revocation.TokenKeyVersion = ciphertext.KeyVersion;
        await store.AddAsync(revocation, cancellationToken);
        logger.LogWarning("Google did not revoke the grant of connection {Connection} ({Reason}): {Error}; retrying from {NextAttemptAt:O}",
            owner.ConnectionId, reason, failed.Error, revocation.NextAttemptAt);
        return revocation;
    }

    /// <summary>The renewal timer's pass: one more attempt for every revocation that is due. Returns how many are done.</summary>
    public async Task<int> RetryDueAsync(CancellationToken cancellationToken)
    {
        var done = 0;
        await foreach (var revocation in store.DueAsync(clock.GetUtcNow(), cancellationToken))
        {
            RevocationAttempt attempt;
            try
            {
                var token = await protector.UnprotectAsync(
                    new ProtectedValue(revocation.TokenCiphertext, revocation.TokenKeyVersion), revocation.TokenAssociatedData, cancellationToken);
                attempt = await TryRevokeAsync(token, cancellationToken);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or Secrets.SecretNotFoundException)
            {
                // The key version that encrypted the token was removed: no retry can succeed, but the row stays visible.
                attempt = new RevocationAttempt(RevocationAttemptKind.Refused, "the token can no longer be decrypted (its key version was removed)");
            }

            if (attempt.Kind == RevocationAttemptKind.Done)
            {
                await store.DeleteAsync(revocation, cancellationToken);
                logger.LogInformation("Pending revocation {Revocation} of connection {Connection} done after {Attempts} failed attempts",
                    revocation.RevocationId, revocation.ConnectionId, revocation.Attempts);
                done++;
                continue;
            }

            var now = clock.GetUtcNow();
            revocation.Attempts++;
            revocation.LastAttemptAt = now;
            revocation.LastError = attempt.Error;
            revocation.NextAttemptAt = now + RetryDelays[Math.Min(revocation.Attempts - 1, RetryDelays.Length - 1)];
            if (!await store.UpdateAsync(revocation, cancellationToken))
            {
                continue;
            }

            if (revocation.Attempts >= AttemptsBeforeAlarm)
            {
                logger.LogError("Google grant of connection {Connection} ({Reason}) is still not revoked after {Attempts} attempts: {Error}. " +
                                "Check the Google client settings; GET /api/revocations names the account, whose access can be removed at Google.",
                    revocation.ConnectionId, revocation.Reason, revocation.Attempts, attempt.Error);
            }
            else
            {
                logger.LogWarning("Pending revocation {Revocation} failed again ({Error}); next attempt at {NextAttemptAt:O}",
                    revocation.RevocationId, attempt.Error, revocation.NextAttemptAt);
            }
        }

        return done;
    }

    public Task<IReadOnlyList<PendingRevocation>> ListAsync(string tenantId, string? connectionId, CancellationToken cancellationToken) =>
        store.ListAsync(tenantId, connectionId, cancellationToken);
}
