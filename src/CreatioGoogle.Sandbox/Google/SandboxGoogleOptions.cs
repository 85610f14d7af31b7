using System.Diagnostics.CodeAnalysis;

namespace CreatioGoogle.Sandbox.Google;

/// <summary>Configuration of a <see cref="SandboxGoogle"/>. Read once at start; later changes have no effect.</summary>
public sealed class SandboxGoogleOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Registered OAuth clients (like the Cloud console's "OAuth 2.0 Client IDs").</summary>
    public List<SandboxClient> Clients { get; } = [];

    /// <summary>Simulated Google users. When empty, alice@example.com and bob@example.com are used.</summary>
    public List<SandboxAccount> Accounts { get; } = [];

    /// <summary>Google issues access tokens for 3599 s.</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);

    /// <summary>
    /// Google "Testing" publishing status: refresh tokens expire 7 days after consent,
    /// unless the only scopes granted are openid/email/profile (as Google documents).
    /// </summary>
    public bool TestingMode { get; set; }

    /// <summary>
    /// Answer each refresh with a new refresh token and retire the old one. Google does not do this, but a
    /// refresh response may carry a refresh token, and the broker must keep the new one.
    /// </summary>
    public bool RotateRefreshTokens { get; set; }

    /// <summary>Simulator clock for code/token expiry and JWT timestamps. Injected latency always uses real time.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>The <c>iss</c> of ID tokens and discovery.</summary>
    public string Issuer { get; set; } = "https://accounts.google.com";

    /// <summary>
    /// Leave <c>email</c> out of ID tokens, as a certified OpenID provider does unless the email claims are asked for
    /// (Google puts it in); the userinfo endpoint still answers it.
    /// </summary>
    public bool OmitEmailFromIdTokens { get; set; }

    /// <summary>
    /// Make <c>/revoke</c> require client authentication, as RFC 7009 servers do (Google does not): without the client's
    /// id and secret it answers 401 <c>invalid_client</c>.
    /// </summary>
    public bool RevokeRequiresClientAuthentication { get; set; }
}

/// <summary>A registered OAuth client. Redirect URIs match exactly, as at Google (scheme, host, port, path, trailing slash).</summary>
public sealed class SandboxClient
{
    public SandboxClient()
    {
    }

    [SetsRequiredMembers]
    public SandboxClient(string clientId, string clientSecret, params IEnumerable<string> redirectUris)
    {
        ClientId = clientId;
        ClientSecret = clientSecret;
        RedirectUris = [.. redirectUris];
    }

    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    public List<string> RedirectUris { get; init; } = [];
}

/// <summary>A simulated Google account. <see cref="Sub"/> is the stable id; emails can change at Google.</summary>
public sealed class SandboxAccount
{
    public SandboxAccount()
    {
    }

    [SetsRequiredMembers]
    public SandboxAccount(string sub, string email, string name)
    {
        Sub = sub;
        Email = email;
        Name = name;
    }

    public required string Sub { get; init; }

    public required string Email { get; init; }

    public required string Name { get; init; }
}
