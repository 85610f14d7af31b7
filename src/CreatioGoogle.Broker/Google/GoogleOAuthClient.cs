using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using CreatioGoogle.Broker.Secrets;
using Google.Apis.Auth;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Flows;
using Google.Apis.Auth.OAuth2.Requests;
using Google.Apis.Auth.OAuth2.Responses;
using Google.Apis.Http;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Google;

/// <summary>An authorization URL with the PKCE verifier that must be kept server-side for the exchange.</summary>
public sealed record AuthorizationRequest(Uri Url, string CodeVerifier);

/// <summary>What Google's token endpoint gave for an authorization code.</summary>
public sealed record GrantedTokens(
    string AccessToken,
    string? RefreshToken,
    TimeSpan ExpiresIn,
    IReadOnlyList<string> GrantedScopes,
    string? IdToken);

/// <summary>Who signed in at Google: <see cref="Subject"/> is the stable account id, <see cref="Email"/> may change.</summary>
public sealed record GoogleIdentity(string Subject, string Email);

/// <summary>
/// Google's answer about who signed in did not hold up: an ID token that is not a JWT, has a header or payload that
/// does not parse, a wrong signature, issuer, audience or lifetime, or a userinfo answer for another account. Always
/// the caller's (or an attacker's) doing, never an outage: the sign-in is refused.
/// </summary>
public sealed class GoogleIdentityRejectedException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>Google refused a token request; <see cref="Error"/> is Google's code, e.g. <c>invalid_grant</c>.</summary>
public sealed class GoogleTokenException(string error, string? description, int statusCode, TimeSpan? retryAfter = null)
    : Exception($"Google's token endpoint answered {statusCode} {error}{(description is null ? "" : $": {description}")}")
{
    public string Error { get; } = error;
    public int StatusCode { get; } = statusCode;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The grant is dead (revoked, expired): only the user can fix it by connecting again.</summary>
    public bool IsGrantDead => Error is "invalid_grant" or "admin_policy_enforced" or "unauthorized_client";

    /// <summary>Worth retrying later: Google is busy or down.</summary>
    public bool IsTransient => StatusCode is 429 or 408 or >= 500;
}

/// <summary>
/// Google's OAuth endpoints, through Google.Apis.Auth for the authorization URL, the PKCE code exchange and
/// ID-token checks. No data store is given to the library: it deletes a stored token on any non-5xx error
/// (googleapis/google-api-dotnet-client#881), and the broker must never lose a refresh token that way.
/// </summary>
public sealed class GoogleOAuthClient(
    IOptions<GoogleOptions> options,
    ISecretStore secrets,
    System.Net.Http.IHttpClientFactory httpClientFactory,
    IHttpMessageHandlerFactory handlerFactory)
{
    public const string HttpClientName = "google-oauth";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<AuthorizationRequest> CreateAuthorizationRequestAsync(
        Uri redirectUri, IReadOnlyList<string> scopes, string state, string? loginHint, CancellationToken cancellationToken)
    {
        using var flow = await CreateFlowAsync(cancellationToken);
        // The Google flow builds Google's request type, which carries access_type, prompt and friends.
        var request = (GoogleAuthorizationCodeRequestUrl)flow.CreateAuthorizationCodeRequest(redirectUri.ToString(), out var codeVerifier);
        request.Scope = string.Join(' ', scopes);
        request.State = state;
        request.AccessType = "offline";
        // Consent must be shown every time, or Google sends no refresh token on a reconnect.
        request.Prompt = "consent";
        request.IncludeGrantedScopes = "true";
        request.LoginHint = string.IsNullOrWhiteSpace(loginHint) ? null : loginHint;
        return new AuthorizationRequest(request.Build(), codeVerifier);
    }

    public async Task<GrantedTokens> ExchangeCodeAsync(string code, string codeVerifier, Uri redirectUri, CancellationToken cancellationToken)
    {
        using var flow = await CreateFlowAsync(cancellationToken);
        TokenResponse response;
        try
        {
            // The user id only names the (absent) data-store entry.
            response = await flow.ExchangeCodeForTokenAsync("connect", code, codeVerifier, redirectUri.ToString(), cancellationToken);
        }
        catch (TokenResponseException e)
        {
            throw new GoogleTokenException(e.Error?.Error ?? "unknown_error", e.Error?.ErrorDescription, (int?)e.StatusCode ?? 0);
        }

        return new GrantedTokens(
            response.AccessToken,
            response.RefreshToken,
            TimeSpan.FromSeconds(response.ExpiresInSeconds ?? 3600),
            SplitScopes(response.Scope),
            response.IdToken);
    }

    /// <summary>
    /// Who a code exchange signed in: the verified ID token's subject, and its e-mail, which comes from the userinfo
    /// endpoint when the ID token has none (an OpenID provider may leave it out unless its claims are asked for).
    /// </summary>
    /// <exception cref="GoogleIdentityRejectedException">The ID token or the userinfo answer did not verify.</exception>
    /// <exception cref="HttpRequestException">Google's keys or userinfo could not be fetched (transient).</exception>
    public async Task<GoogleIdentity> VerifyIdentityAsync(GrantedTokens tokens, CancellationToken cancellationToken)
    {
        var payload = await VerifyIdTokenAsync(tokens.IdToken, cancellationToken);
        if (!string.IsNullOrEmpty(payload.Email))
        {
            return new GoogleIdentity(payload.Subject, payload.Email);
        }

        var userInfo = await GetUserInfoAsync(tokens.AccessToken, cancellationToken);
        // The access token must speak for the account the ID token names, or the two answers were mixed up.
        if (!string.Equals(userInfo.Subject, payload.Subject, StringComparison.Ordinal))
        {
            throw new GoogleIdentityRejectedException("The userinfo endpoint answered for another account than the ID token.");
        }

        return new GoogleIdentity(payload.Subject, userInfo.Email ?? "");
    }

    /// <summary>
    /// Checks signature, issuer, audience (our client ID) and lifetime of an ID token. Every way a token can fail to
    /// verify, including not being a JWT at all, is a <see cref="GoogleIdentityRejectedException"/>.
    /// </summary>
    public async Task<GoogleJsonWebSignature.Payload> VerifyIdTokenAsync(string? idToken, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(idToken))
        {
            throw new GoogleIdentityRejectedException("The token response has no ID token.");
        }

        var clientId = await secrets.GetSecretAsync(SecretNames.GoogleClientId, cancellationToken);
        var verification = new SignedTokenVerificationOptions
        {
            CertificatesUrl = options.Value.CertificatesUrl.ToString(),
            HttpClientFactory = GoogleHttpClientFactory(),
        };
        foreach (var issuer in options.Value.EffectiveIssuers)
        {
            verification.TrustedIssuers.Add(issuer);
        }

        verification.TrustedAudiences.Add(clientId.Value);
        try
        {
            var payload = await JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(idToken, verification, cancellationToken);
            return string.IsNullOrEmpty(payload.Subject)
                ? throw new GoogleIdentityRejectedException("The ID token has no subject.")
                : payload;
        }
        catch (InvalidJwtException e)
        {
            throw new GoogleIdentityRejectedException(e.Message, e);
        }
        catch (Exception e) when (e is not GoogleIdentityRejectedException && !IsUnreachable(e, cancellationToken)
                                  && e is not OperationCanceledException)
        {
            // The library reads an unparsable header or payload with a JSON or base64 reader whose exceptions are not
            // InvalidJwtException; whatever it threw, the token did not verify.
            throw new GoogleIdentityRejectedException($"The ID token is malformed ({e.GetType().Name}).", e);
        }
    }

    /// <summary>OpenID Connect userinfo for an access token: the account's subject and e-mail.</summary>
    public async Task<(string Subject, string? Email)> GetUserInfoAsync(string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, options.Value.UserInfoEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if ((int)response.StatusCode is 429 or >= 500)
        {
            throw new HttpRequestException($"Google's userinfo endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new GoogleIdentityRejectedException($"Google's userinfo endpoint refused the new access token ({(int)response.StatusCode}).");
        }

        UserInfoResponse? info;
        try
        {
            info = JsonSerializer.Deserialize<UserInfoResponse>(await response.Content.ReadAsStringAsync(cancellationToken), Json);
        }
        catch (JsonException e)
        {
            throw new GoogleIdentityRejectedException("Google's userinfo answer is not JSON.", e);
        }

        return string.IsNullOrEmpty(info?.Subject)
            ? throw new GoogleIdentityRejectedException("Google's userinfo answer has no subject.")
            : (info.Subject, string.IsNullOrEmpty(info.Email) ? null : info.Email);
    }

    /// <summary>True when <paramref name="e"/> says Google could not be reached or did not answer in time (worth retrying).</summary>
    public static bool IsUnreachable(Exception e, CancellationToken cancellationToken) =>
        e is HttpRequestException or Polly.ExecutionRejectedException or TimeoutException
        || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>
    /// Refreshes an access token. Posted by hand rather than through the library so that Retry-After and
    /// <c>refresh_token_expires_in</c> are not lost, and no data store can delete anything.
    /// </summary>
    public async Task<GrantedTokens> RefreshAsync(string refreshToken, CancellationToken cancellationToken)
    {
        var clientId = await secrets.GetSecretAsync(SecretNames.GoogleClientId, cancellationToken);
        var clientSecret = await secrets.GetSecretAsync(SecretNames.GoogleClientSecret, cancellationToken);
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = clientId.Value,
            ["client_secret"] = clientSecret.Value,
        });
        var http = httpClientFactory.CreateClient(HttpClientName);
        using var response = await http.PostAsync(options.Value.TokenEndpoint, content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw ToTokenException(response, body);
        }

        var token = JsonSerializer.Deserialize<TokenEndpointResponse>(body, Json)
            ?? throw new GoogleTokenException("invalid_response", "empty body", (int)response.StatusCode);
        if (string.IsNullOrEmpty(token.AccessToken))
        {
            throw new GoogleTokenException("invalid_response", "no access_token in the response", (int)response.StatusCode);
        }

        return new GrantedTokens(token.AccessToken, token.RefreshToken, TimeSpan.FromSeconds(token.ExpiresIn ?? 3600),
            SplitScopes(token.Scope), token.IdToken);
    }

    /// <summary>
    /// Revokes a token, and with it the whole grant. True when Google revoked it now; false when Google answered
    /// <c>invalid_token</c> (it no longer knows the token: already revoked or expired), which is as good.
    /// </summary>
    /// <exception cref="GoogleTokenException">
    /// Any other answer, a 400 <c>invalid_request</c> or 401 <c>invalid_client</c> included: the grant may still be live.
    /// </exception>
    public async Task<bool> RevokeAsync(string token, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["token"] = token };
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Value.RevokeEndpoint);
        if (options.Value.RevocationClientAuthentication != RevocationClientAuthentication.None)
        {
            var clientId = (await secrets.GetSecretAsync(SecretNames.GoogleClientId, cancellationToken)).Value;
            var clientSecret = (await secrets.GetSecretAsync(SecretNames.GoogleClientSecret, cancellationToken)).Value;
            if (options.Value.RevocationClientAuthentication == RevocationClientAuthentication.ClientSecretBasic)
            {
                // RFC 6749 §2.3.1: both parts form-encoded before they are joined and base64-encoded.
                var pair = $"{WebUtility.UrlEncode(clientId)}:{WebUtility.UrlEncode(clientSecret)}";
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pair)));
            }
            else
            {
                form["client_id"] = clientId;
                form["client_secret"] = clientSecret;
            }
        }

        request.Content = new FormUrlEncodedContent(form);
        using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return true;
        }

        var refused = ToTokenException(response, await response.Content.ReadAsStringAsync(cancellationToken));
        return refused is { StatusCode: 400, Error: "invalid_token" } ? false : throw refused;
    }

    private async Task<PkceGoogleAuthorizationCodeFlow> CreateFlowAsync(CancellationToken cancellationToken)
    {
        var clientId = await secrets.GetSecretAsync(SecretNames.GoogleClientId, cancellationToken);
        var clientSecret = await secrets.GetSecretAsync(SecretNames.GoogleClientSecret, cancellationToken);
        return new PkceGoogleAuthorizationCodeFlow(new EndpointInitializer(options.Value)
        {
            ClientSecrets = new ClientSecrets { ClientId = clientId.Value, ClientSecret = clientSecret.Value },
            DataStore = null,
            HttpClientFactory = GoogleHttpClientFactory(),
            // Retries come from the resilience pipeline of the named HttpClient, not from the library.
            DefaultExponentialBackOffPolicy = ExponentialBackOffPolicy.None,
        });
    }

    /// <summary>Google.Apis.Auth's own HTTP abstraction, fed with handlers from IHttpClientFactory.</summary>
    private HttpClientFromMessageHandlerFactory GoogleHttpClientFactory() =>
        new(_ => new HttpClientFromMessageHandlerFactory.ConfiguredHttpMessageHandler(
            handlerFactory.CreateHandler(HttpClientName), performsAutomaticDecompression: false, handlesRedirect: false));

    private static GoogleTokenException ToTokenException(HttpResponseMessage response, string body)
    {
        string error = "http_" + (int)response.StatusCode;
        string? description = null;
        try
        {
            var parsed = JsonSerializer.Deserialize<TokenEndpointError>(body, Json);
            if (!string.IsNullOrEmpty(parsed?.Error))
            {
                error = parsed.Error;
                description = parsed.ErrorDescription;
            }
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page from a proxy): keep the status code as the error.
        }

        return new GoogleTokenException(error, description, (int)response.StatusCode, RetryAfterOf(response.Headers.RetryAfter));
    }

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? header) =>
        header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    private static string[] SplitScopes(string? scope) =>
        (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Points the Google flow at configured endpoints (the sandbox in tests; Google by default).</summary>
    private sealed class EndpointInitializer(GoogleOptions options)
        : GoogleAuthorizationCodeFlow.Initializer(
            options.AuthorizationEndpoint.ToString(), options.TokenEndpoint.ToString(), options.RevokeEndpoint.ToString());

    private sealed record TokenEndpointResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("refresh_token")] string? RefreshToken,
        [property: JsonPropertyName("expires_in")] long? ExpiresIn,
        [property: JsonPropertyName("scope")] string? Scope,
        [property: JsonPropertyName("id_token")] string? IdToken);

    private sealed record UserInfoResponse(
        [property: JsonPropertyName("sub")] string? Subject,
        [property: JsonPropertyName("email")] string? Email);

    private sealed record TokenEndpointError(
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("error_description")] string? ErrorDescription);
}
