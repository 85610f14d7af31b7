using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Azure;
using CreatioGoogle.Broker.Connections;
using CreatioGoogle.Broker.Google;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.Tenants;
using CreatioGoogle.Broker.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.OAuth;

/// <summary>What Google's redirect brought to one of the callback paths.</summary>
public sealed record CallbackParameters(string? Code, string? State, string? Error, string? ErrorDescription);

/// <summary>The browser's next step after the callback: a redirect back to Creatio, or a page to read.</summary>
public sealed record CallbackOutcome(Uri? RedirectTo, BrowserPage? Page);

/// <summary>
/// The connect flow, top to bottom (design.md flows 1 and 2): Creatio starts it, Google's redirect ends it.
/// </summary>
public sealed partial class ConnectFlow(
    PendingAuthorizationStore pendingAuthorizations,
    ConnectionStore connections,
    TokenProtector protector,
    GoogleOAuthClient google,
    GrantRevocation revocation,
    TenantAuthenticator tenants,
    IConnectionEvents events,
    IOptions<BrokerOptions> options,
    TimeProvider clock,
    ILogger<ConnectFlow> logger)
{
    /// <summary>Flow 1: validates Creatio's request and returns the Google URL to open.</summary>
    public async Task<(ConnectStarted? Started, Dictionary<string, string[]>? Errors)> StartAsync(
        Tenant tenant, ConnectRequest request, CancellationToken cancellationToken)
    {
        var errors = Validate(tenant, request, out var returnUrl, out var features);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var existing = (await connections.ListAsync(tenant.Id, request.CreatioUserId, cancellationToken)).FirstOrDefault();
        var connectionId = existing?.ConnectionId ?? Guid.NewGuid().ToString("N");
        var started = await IssueAsync(tenant.Id, connectionId, request.CreatioUserId!, features, returnUrl!,
            request.LoginHint, request.AllowAccountSwitch, cancellationToken);
        logger.LogInformation("Connect started for tenant {Tenant}, connection {Connection}, features {Features}",
            tenant.Id, connectionId, string.Join(',', features));
        return (started, null);
    }

    /// <summary>
    /// A fresh Google link for an existing connection whose grant died (reconnect needed): same user, features and
    /// Google account (as login hint), back to the Creatio page the user last connected from.
    /// </summary>
    public async Task<ConnectStarted> ReconnectAsync(Tenant tenant, Connection connection, CancellationToken cancellationToken)
    {
        var returnUrl = Uri.TryCreate(connection.LastReturnUrl, UriKind.Absolute, out var last) && tenant.AllowsReturnUrl(last)
            ? last
            : tenant.Options.ReturnUrls[0];
        var started = await IssueAsync(tenant.Id, connection.ConnectionId, connection.CreatioUserId, connection.Features, returnUrl,
            string.IsNullOrEmpty(connection.GoogleEmail) ? null : connection.GoogleEmail, allowAccountSwitch: false, cancellationToken);
        logger.LogInformation("Reconnect link issued for connection {Connection} of tenant {Tenant}", connection.ConnectionId, tenant.Id);
        return started;
    }

    /// <summary>Flow 2: Google's redirect. Every failure a user can cause ends on a page; nothing is stored for it.</summary>
    public async Task<CallbackOutcome> CompleteAsync(CallbackParameters callback, CancellationToken cancellationToken)
    {
        // The broker's states are 43 characters; anything far longer is not one of them and is not worth a lookup.
        if (string.IsNullOrEmpty(callback.State) || callback.State.Length > MaxStateLength)
        {
            return Page(400, "This sign-in link is not valid",
                "The address has no 'state' parameter, so it did not come from a connect request of this broker.\n\n" +
                "Start again from Creatio: open your Google account settings there and connect.");
        }

        var (outcome, pending) = await pendingAuthorizations.ConsumeAsync(callback.State, cancellationToken);
        switch (outcome)
        {
            case ConsumeOutcome.Unknown:
                logger.LogWarning("Callback with an unknown state");
                return Page(400, "This sign-in link is not valid",
                    "The broker did not issue this link, or it is damaged. Nothing was connected.\n\n" +
                    "Start again from Creatio: open your Google account settings there and connect.");
            case ConsumeOutcome.Replayed:
                logger.LogWarning("Callback with an already used state for connection {Connection}", pending!.ConnectionId);
                return Page(409, "This sign-in link was already used",
                    "Each link to Google works once. If you just connected, you are done; otherwise start again from Creatio.",
                    BackTo(pending));
            case ConsumeOutcome.Expired:
                return Page(410, "This sign-in link has expired",
                    $"Links to Google are valid for {options.Value.AuthorizationLifetime.TotalMinutes:0} minutes. Nothing was connected.\n\n" +
                    "Start again from Creatio to get a new link.",
                    BackTo(pending!));
        }

        var tenant = tenants.Find(pending!.TenantId);
        if (tenant is null || !Uri.TryCreate(pending.ReturnUrl, UriKind.Absolute, out var returnUrl) || !tenant.AllowsReturnUrl(returnUrl))
        {
            return Page(400, "The return address is not allowed",
                "The Creatio address to return to is no longer on this broker's allow-list. Nothing was connected.\n\n" +
                "Ask your administrator to add your Creatio site to the broker's allowed return URLs.");
        }

        if (!string.IsNullOrEmpty(callback.Error))
        {
            // Shown to the person: only an error code as OAuth defines them (RFC 6749 §4.1.2.1), never arbitrary text.
            var error = ErrorCode().IsMatch(callback.Error) ? callback.Error : "invalid_response";
            return error == "access_denied"
                ? Page(403, "Google access was not granted",
                    "You chose not to give access on Google's page, so nothing was connected.\n\n" +
                    "To connect, start again from Creatio and choose Allow on Google's page.", BackTo(pending))
                : Page(400, "Google could not complete the sign-in",
                    $"Google answered '{error}'. Nothing was connected.\n\nStart again from Creatio; if it keeps happening, tell your administrator this code.",
                    BackTo(pending));
        }

        if (string.IsNullOrEmpty(callback.Code) || callback.Code.Length > MaxCodeLength)
        {
            return Page(400, "Google's answer is incomplete",
                "The address has no authorization code. Nothing was connected.\n\nStart again from Creatio.", BackTo(pending));
        }

        return await ExchangeAndSaveAsync(tenant, pending, callback.Code, returnUrl, cancellationToken);
    }

    private async Task<CallbackOutcome> ExchangeAndSaveAsync(
        Tenant tenant, PendingAuthorization pending, string code, Uri returnUrl, CancellationToken cancellationToken)
    {
        var verifier = await protector.UnprotectAsync(
            new ProtectedValue(pending.CodeVerifierCiphertext, pending.CodeVerifierKeyVersion), pending.CodeVerifierAssociatedData, cancellationToken);

        GrantedTokens tokens;
        try
        {
            tokens = await google.ExchangeCodeAsync(code, verifier, options.Value.RedirectUri, cancellationToken);
        }
        catch (GoogleTokenException e) when (!e.IsTransient)
        {
            logger.LogWarning("Code exchange refused for connection {Connection}: {Error}", pending.ConnectionId, e.Error);
            return Page(400, "Google did not accept the sign-in",
                $"Google refused to complete it ({e.Error}). Nothing was connected.\n\nStart again from Creatio.", BackTo(pending));
        }
        catch (Exception e) when (e is GoogleTokenException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogError("Google's token endpoint failed for connection {Connection}: {Error}", pending.ConnectionId, e.GetType().Name);
            return Page(502, "Google could not be reached",
                "Google did not answer in time. Nothing was connected.\n\nWait a minute and start again from Creatio.", BackTo(pending));
        }

        // From here on Google holds a live grant for this sign-in: every way out that does not store it gives it back.
        var grant = tokens.RefreshToken ?? tokens.AccessToken;
        var owner = new GrantOwner(tenant.Id, pending.ConnectionId, pending.CreatioUserId, "");
        GoogleIdentity identity;
        try
        {
            identity = await google.VerifyIdentityAsync(tokens, cancellationToken);
        }
        catch (GoogleIdentityRejectedException e)
        {
            logger.LogWarning("Google's identity answer rejected for connection {Connection}: {Reason}", pending.ConnectionId, e.Message);
            await revocation.GiveBackAsync(owner, googleSubject: null, grant, RevocationReasons.IdentityNotVerified, cancellationToken);
            return Page(400, "Google's answer could not be verified",
                "The identity Google sent did not pass verification. Nothing was connected.\n\nStart again from Creatio.", BackTo(pending));
        }
        catch (Exception e) when (GoogleOAuthClient.IsUnreachable(e, cancellationToken))
        {
            logger.LogError("Google's keys or userinfo could not be fetched for connection {Connection}: {Error}", pending.ConnectionId, e.GetType().Name);
            await revocation.GiveBackAsync(owner, googleSubject: null, grant, RevocationReasons.IdentityNotVerified, cancellationToken);
            return Page(502, "Google could not be reached",
                "Google did not answer in time. Nothing was connected.\n\nWait a minute and start again from Creatio.", BackTo(pending));
        }

        owner = owner with { GoogleEmail = identity.Email };
        var existing = await connections.GetAsync(tenant.Id, pending.ConnectionId, cancellationToken);
        var switching = existing is not null && existing.GoogleSubject != identity.Subject;
        if (switching && !pending.AllowAccountSwitch)
        {
            // The user picked another Google account than the one connected: keep the old connection, drop the new grant.
            await revocation.GiveBackAsync(owner, identity.Subject, grant, RevocationReasons.AccountSwitchRefused, cancellationToken);
            return Page(409, "A different Google account is already connected",
                $"This Creatio user is connected to {existing!.GoogleEmail}, and you signed in as {identity.Email}. Nothing was changed.\n\n" +
                $"Start again from Creatio and pick {existing.GoogleEmail} on Google's page, or disconnect first to use another account.",
                BackTo(pending));
        }

        var refreshToken = tokens.RefreshToken;
        if (refreshToken is null && (existing is null || switching))
        {
            await revocation.GiveBackAsync(owner, identity.Subject, grant, RevocationReasons.NoOfflineAccess, cancellationToken);
            return Page(400, "Google gave no offline access",
                "Google did not return the long-lived access the broker needs. Nothing was connected.\n\n" +
                "Remove this app at https://myaccount.google.com/permissions, then start again from Creatio.", BackTo(pending));
        }

        var previousRefreshToken = switching ? await connections.ReadRefreshTokenAsync(existing!, cancellationToken) : null;
        // Read before saving: the save updates the same row object.
        var previousStatus = existing?.Status;
        var previousOwner = existing is null ? null : owner with { GoogleEmail = existing.GoogleEmail };
        var previousSubject = existing?.GoogleSubject;
        Connection connection;
        try
        {
            connection = await SaveConnectionAsync(tenant, pending, existing, identity, tokens, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not stored (storage failing): the new grant must not stay live unseen. Then the error takes its course.
            await GiveBackBestEffortAsync(owner, identity.Subject, grant, cancellationToken);
            throw;
        }

        if (previousRefreshToken is not null)
        {
            // The old account's grant is no longer used here: give it back (Google caps live tokens per account).
            await revocation.GiveBackAsync(previousOwner!, previousSubject, previousRefreshToken, RevocationReasons.AccountReplaced, cancellationToken);
        }

        await events.StatusChangedAsync(connection, previousStatus, cancellationToken);
        logger.LogInformation("Connection {Connection} of tenant {Tenant} saved with status {Status}", connection.ConnectionId, tenant.Id, connection.Status);

        if (connection.Missing.Count == 0)
        {
            return new CallbackOutcome(WithQuery(returnUrl, connection), null);
        }

        var retry = await IssueAsync(tenant.Id, connection.ConnectionId, connection.CreatioUserId, pending.Features, returnUrl,
            identity.Email, pending.AllowAccountSwitch, cancellationToken);
        return Page(200, "Connected, but some access is missing",
            $"Your Google account {identity.Email} is connected, but you did not allow access for: {string.Join(", ", connection.Missing)}. " +
            "Creatio cannot use those features until you allow them.\n\n" +
            "To fix it, open Google's page again and tick every box (or \"Select all\"): Google starts with them unticked.",
            [new PageLink("Allow the missing access on Google", retry.AuthorizationUrl), new PageLink("Continue to Creatio", WithQuery(returnUrl, connection))]);
    }

    private async Task<Connection> SaveConnectionAsync(Tenant tenant, PendingAuthorization pending, Connection? existing,
        GoogleIdentity identity, GrantedTokens tokens, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var connection = existing ?? new Connection { PartitionKey = tenant.Id, RowKey = pending.ConnectionId, ConnectedAt = now };
        var missing = Features.MissingFrom(pending.Features, tokens.GrantedScopes);
        connection.CreatioUserId = pending.CreatioUserId;
        connection.GoogleSubject = identity.Subject;
        connection.GoogleEmail = identity.Email;
        connection.RequestedFeatures = pending.RequestedFeatures;
        connection.GrantedScopes = string.Join(' ', tokens.GrantedScopes);
        connection.MissingFeatures = string.Join(',', missing);
        connection.Status = missing.Count == 0 ? ConnectionStatus.Connected : ConnectionStatus.ScopesMissing;
        connection.StatusReason = missing.Count == 0 ? null : $"Google access not granted for: {string.Join(", ", missing)}";
        connection.ConnectedAt = existing?.GoogleSubject == identity.Subject ? connection.ConnectedAt : now;
        connection.LastRenewedAt = now;
        connection.LastError = null;
        connection.FailureCount = 0;
        connection.LastFailureAt = null;
        connection.RetryNotBefore = null;
        connection.ConsecutiveFailures = 0;
        connection.RefreshLeaseUntil = null;
        connection.RefreshLeaseOwner = null;
        connection.LastReturnUrl = pending.ReturnUrl;
        if (tokens.RefreshToken is not null)
        {
            connection.RefreshTokenIssuedAt = now;
        }

        await connections.SetTokensAsync(connection, tokens.RefreshToken, tokens.AccessToken, now + tokens.ExpiresIn, cancellationToken);
        try
        {
            await connections.SaveAsync(connection, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Two callbacks for one user raced (two tabs). The other one saved; its row stands.
            logger.LogWarning("Connection {Connection} was saved concurrently; keeping the other write", connection.ConnectionId);
            return await connections.GetAsync(tenant.Id, connection.ConnectionId, cancellationToken) ?? connection;
        }

        return connection;
    }

    private async Task<ConnectStarted> IssueAsync(string tenantId, string connectionId, string creatioUserId,
        IReadOnlyList<string> features, Uri returnUrl, string? loginHint, bool allowAccountSwitch, CancellationToken cancellationToken)
    {
        // 256 bits from the OS CSPRNG; only its hash is stored.
        var state = Base64Url(RandomNumberGenerator.GetBytes(32));
        var authorization = await google.CreateAuthorizationRequestAsync(
            options.Value.RedirectUri, Features.ScopesFor(features), state, loginHint, cancellationToken);
        var (partitionKey, rowKey) = PendingAuthorization.KeysFor(state);
        var expiresAt = clock.GetUtcNow() + options.Value.AuthorizationLifetime;
        var pending = new PendingAuthorization
        {
            PartitionKey = partitionKey,
            RowKey = rowKey,
            TenantId = tenantId,
            ConnectionId = connectionId,
            CreatioUserId = creatioUserId,
            RequestedFeatures = string.Join(',', features),
            ReturnUrl = returnUrl.AbsoluteUri,
            LoginHint = loginHint,
            AllowAccountSwitch = allowAccountSwitch,
            ExpiresAt = expiresAt,
        };
        var verifier = await protector.ProtectAsync(authorization.CodeVerifier, pending.CodeVerifierAssociatedData, cancellationToken);
        pending.CodeVerifierCiphertext = verifier.Ciphertext;
        pending.CodeVerifierKeyVersion = verifier.KeyVersion;
        await pendingAuthorizations.AddAsync(pending, cancellationToken);
        return new ConnectStarted(connectionId, authorization.Url, expiresAt);
    }

    private static Dictionary<string, string[]> Validate(Tenant tenant, ConnectRequest request, out Uri? returnUrl, out IReadOnlyList<string> features)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Guid.TryParseExact(request.CreatioUserId, "D", out _))
        {
            errors["creatioUserId"] = ["Required: the Creatio user's id (a GUID such as 410006e1-ca4e-4502-a9ec-e54d922d2c00)."];
        }

        features = [];
        if (request.Features is not { Count: > 0 } requested)
        {
            errors["features"] = [$"Name at least one of: {string.Join(", ", Features.All)}."];
        }
        else if (requested.Count > EdgeRules.MaxFeatures || requested.Any(f => string.IsNullOrWhiteSpace(f) || f.Length > EdgeRules.MaxFeatureLength))
        {
            errors["features"] = [$"A list of at most {EdgeRules.MaxFeatures} feature names, each one of: {string.Join(", ", Features.All)}."];
        }
        else
        {
            features = requested.Select(f => f.Trim().ToLowerInvariant()).Distinct().ToList();
            if (features.Where(f => !Features.IsKnown(f)).ToList() is { Count: > 0 } unknown)
            {
                errors["features"] = [$"Unknown feature(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", Features.All)}."];
            }
        }

        returnUrl = null;
        if (request.ReturnUrl is { Length: > EdgeRules.MaxUrlLength })
        {
            errors["returnUrl"] = [$"At most {EdgeRules.MaxUrlLength} characters."];
        }
        else if (request.ReturnUrl is null || !EdgeRules.IsPrintable(request.ReturnUrl)
                 || !Uri.TryCreate(request.ReturnUrl, UriKind.Absolute, out var parsed))
        {
            errors["returnUrl"] = ["Required: the absolute Creatio URL to return to."];
        }
        else if (!tenant.AllowsReturnUrl(parsed))
        {
            errors["returnUrl"] = ["This URL is not on the tenant's allow-list (Tenants__<id>__ReturnUrls)."];
        }
        else
        {
            returnUrl = parsed;
        }

        if (request.LoginHint is { Length: > EdgeRules.MaxLoginHintLength })
        {
            errors["loginHint"] = [$"At most {EdgeRules.MaxLoginHintLength} characters (an e-mail address)."];
        }
        else if (request.LoginHint is { } hint && (!EdgeRules.IsPrintable(hint) || hint.Any(char.IsWhiteSpace)))
        {
            errors["loginHint"] = ["An e-mail address, without spaces or control characters."];
        }

        return errors;
    }

    private async Task GiveBackBestEffortAsync(GrantOwner owner, string subject, string grant, CancellationToken cancellationToken)
    {
        try
        {
            await revocation.GiveBackAsync(owner, subject, grant, RevocationReasons.NotStored, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError("A Google grant for connection {Connection} could neither be stored, revoked nor recorded: {Error}",
                owner.ConnectionId, e.GetType().Name);
        }
    }

    private const int MaxStateLength = 512;
    private const int MaxCodeLength = 2048;

    [GeneratedRegex("^[a-z_]{1,64}$")]
    private static partial Regex ErrorCode();

    private static Uri WithQuery(Uri returnUrl, Connection connection)
    {
        var query = $"connectionId={connection.ConnectionId}&status={connection.Status}";
        var builder = new UriBuilder(returnUrl);
        builder.Query = string.IsNullOrEmpty(builder.Query) ? query : builder.Query.TrimStart('?') + "&" + query;
        return builder.Uri;
    }

    private static IReadOnlyList<PageLink> BackTo(PendingAuthorization pending) =>
        Uri.TryCreate(pending.ReturnUrl, UriKind.Absolute, out var url) ? [new PageLink("Back to Creatio", url)] : [];

    private static CallbackOutcome Page(int status, string title, string message, IReadOnlyList<PageLink>? links = null) =>
        new(null, new BrowserPage(status, title, message, links ?? []));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
