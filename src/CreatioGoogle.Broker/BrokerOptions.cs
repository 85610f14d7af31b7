using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker;

/// <summary>Settings of the broker itself.</summary>
public sealed class BrokerOptions
{
    public const string Section = "Broker";

    /// <summary>The broker's public address, e.g. <c>https://acme-google.azurewebsites.net</c>; redirect URIs are built on it.</summary>
    [Required] public Uri? PublicBaseUrl { get; set; }

    /// <summary>Which of Creatio's three redirect paths is registered in Google Cloud (all three are served).</summary>
    [Required] public string RedirectPath { get; set; } = OAuth.RedirectPaths.ProcessAuthenticationCode;

    /// <summary>How long a connect link stays usable.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan AuthorizationLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public Uri RedirectUri => new(PublicBaseUrl!, RedirectPath);
}
