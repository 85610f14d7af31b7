using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace CreatioGoogle.Broker.Storage;

/// <summary>
/// Clients for the host storage account, built from the same <c>AzureWebJobsStorage</c> setting the Functions
/// host reads: either a connection string, or the identity-based form
/// (<c>AzureWebJobsStorage__tableServiceUri</c>, <c>__queueServiceUri</c>, <c>__clientId</c>).
/// </summary>
public sealed class StorageAccount
{
    public const string SettingName = "AzureWebJobsStorage";

    private readonly string? _connectionString;
    private readonly Uri? _tableServiceUri;
    private readonly Uri? _queueServiceUri;
    private readonly TokenCredential? _credential;

    private readonly TableClientOptions? _tableOptions;

    /// <param name="tableOptions">Client options for tables (e.g. a policy that counts calls, in the benchmark).</param>
    public StorageAccount(IConfiguration configuration, TableClientOptions? tableOptions = null)
    {
        _tableOptions = tableOptions;
        var section = configuration.GetSection(SettingName);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            _connectionString = section.Value;
            return;
        }

        var tableUri = section["tableServiceUri"];
        var queueUri = section["queueServiceUri"];
        if (string.IsNullOrWhiteSpace(tableUri) || string.IsNullOrWhiteSpace(queueUri))
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set '{SettingName}' to a connection string, or " +
                $"'{SettingName}__tableServiceUri' and '{SettingName}__queueServiceUri' for a managed identity.");
        }

        _tableServiceUri = new Uri(tableUri);
        _queueServiceUri = new Uri(queueUri);
        var clientId = section["clientId"];
        _credential = string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }

    public TableServiceClient CreateTableServiceClient() =>
        _connectionString is not null
            ? new TableServiceClient(_connectionString, _tableOptions ?? new TableClientOptions())
            : new TableServiceClient(_tableServiceUri, _credential, _tableOptions ?? new TableClientOptions());

    public QueueServiceClient CreateQueueServiceClient() =>
        _connectionString is not null
            ? new QueueServiceClient(_connectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            : new QueueServiceClient(_queueServiceUri, _credential, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
}
