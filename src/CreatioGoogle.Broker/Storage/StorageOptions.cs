namespace CreatioGoogle.Broker.Storage;

/// <summary>
/// Where the broker keeps its tables and queues. The account is the Functions host's own
/// (<c>AzureWebJobsStorage</c>): a connection string locally, identity-based settings in Azure.
/// </summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Prefix for every table name; lets several brokers (or test runs) share one account.</summary>
    [System.ComponentModel.DataAnnotations.RegularExpression("^([A-Za-z][A-Za-z0-9]{0,20})?$",
        ErrorMessage = "Storage:TablePrefix must be letters and digits, starting with a letter.")]
    public string TablePrefix { get; set; } = "";
}
