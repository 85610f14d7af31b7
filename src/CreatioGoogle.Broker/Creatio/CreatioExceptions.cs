namespace CreatioGoogle.Broker.Creatio;

/// <summary>Creatio (or its identity service) refused the broker's credentials. The message never holds a password, cookie or token.</summary>
public sealed class CreatioAuthenticationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Creatio answered a data request with an error. <see cref="Exception.Message"/> carries Creatio's own error text.</summary>
public sealed class CreatioRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>Worth retrying later: Creatio is busy or down.</summary>
    public bool IsTransient => StatusCode is 408 or 429 or >= 500;
}
