using System.Diagnostics.CodeAnalysis;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>Configuration of a <see cref="SandboxCreatio"/>. Read once at start.</summary>
public sealed class SandboxCreatioOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Users that can log in through AuthService.svc. Each gets a Contact and a SysAdminUnit row.</summary>
    public List<SandboxCreatioUser> Users { get; } = [];

    /// <summary>"OAuth 2.0 integrated applications": client credentials the identity service accepts.</summary>
    public List<SandboxCreatioClient> Clients { get; } = [];

    /// <summary>Sliding session timeout of a forms login (Creatio's default user session timeout is 60 minutes).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Lifetime of identity-service access tokens (<c>expires_in</c>).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Requests allowed in one <c>$batch</c> (Creatio: 100, facts §4.2).</summary>
    public int MaxBatchSize { get; set; } = 100;

    /// <summary>Rows one request can return (Creatio's MaxEntityRowCount default).</summary>
    public int MaxRowCount { get; set; } = 20_000;

    /// <summary>Clock for ModifiedOn/CreatedOn, session and token expiry. Injected latency uses real time.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;
}

/// <summary>A Creatio user for forms login.</summary>
public sealed class SandboxCreatioUser
{
    public SandboxCreatioUser()
    {
    }

    [SetsRequiredMembers]
    public SandboxCreatioUser(string userName, string password)
    {
        UserName = userName;
        Password = password;
    }

    public required string UserName { get; init; }

    public required string Password { get; init; }

    /// <summary>The user's contact (the SysAdminUnit.ContactId); generated when empty.</summary>
    public Guid ContactId { get; init; }
}

/// <summary>An OAuth 2.0 integrated application; its calls act as <see cref="UserName"/> (a technical user).</summary>
public sealed class SandboxCreatioClient
{
    public SandboxCreatioClient()
    {
    }

    [SetsRequiredMembers]
    public SandboxCreatioClient(string clientId, string clientSecret, string userName = "Integration")
    {
        ClientId = clientId;
        ClientSecret = clientSecret;
        UserName = userName;
    }

    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    public string UserName { get; init; } = "Integration";
}

/// <summary>What a request to the sandbox was, for the counters.</summary>
public enum CreatioRequestKind
{
    Login,
    Token,
    Query,
    GetById,
    Create,
    Update,
    Delete,
    Batch,
    /// <summary>Each operation inside a <c>$batch</c>.</summary>
    BatchOperation,
    /// <summary>Requests answered 401 or 403 for missing/expired authentication or CSRF.</summary>
    Rejected,
    Other,
}
