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

    /// <summary>Checks signature, issuer, audience (our client ID) and lifetime of an ID token.</summary>
    public async Task<GoogleJsonWebSignature.Payload> VerifyIdTokenAsync(string idToken, CancellationToken cancellationToken)
    {
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
        return await JsonWebSignature.VerifySignedTokenAsync<GoogleJsonWebSignature.Payload>(idToken, verification, cancellationToken);
    }

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

    /// <summary>Revokes a token (and with it the whole grant). A token Google no longer knows counts as revoked.</summary>
    public async Task RevokeAsync(string token, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token });
        var http = httpClientFactory.CreateClient(HttpClientName);
        using var response = await http.PostAsync(options.Value.RevokeEndpoint, content, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.BadRequest)
        {
            return;
        }

        throw ToTokenException(response, await response.Content.ReadAsStringAsync(cancellationToken));
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

    private sealed record TokenEndpointError(
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("error_description")] string? ErrorDescription);
}
