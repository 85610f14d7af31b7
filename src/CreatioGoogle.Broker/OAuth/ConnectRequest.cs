namespace CreatioGoogle.Broker.OAuth;

/// <summary>Body of <c>POST /api/connections</c>, sent by Creatio.</summary>
public sealed class ConnectRequest
{
    /// <summary>The Creatio user (SysAdminUnit id) the Google account is for.</summary>
    public string? CreatioUserId { get; set; }

    /// <summary>Any of <c>mail</c>, <c>contacts</c>, <c>calendar</c>.</summary>
    public List<string>? Features { get; set; }

    /// <summary>Where the browser goes when done; must be under one of the tenant's allowed return URLs.</summary>
    public string? ReturnUrl { get; set; }

    /// <summary>The user's Google e-mail, to preselect the account on Google's page.</summary>
    public string? LoginHint { get; set; }

    /// <summary>
    /// Whether a reconnect may replace the user's Google account with another one. Off by default, so a user
    /// who picks the wrong account on Google's page does not silently move their mail and calendar.
    /// </summary>
    public bool AllowAccountSwitch { get; set; }
}

/// <summary>Answer of <c>POST /api/connections</c>: open <see cref="AuthorizationUrl"/> in a top-level browser window.</summary>
public sealed record ConnectStarted(string ConnectionId, Uri AuthorizationUrl, DateTimeOffset ExpiresAt);
