using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace CreatioGoogle.Broker;

/// <summary>
/// Defaults for app settings that trigger bindings read by name (<c>%Setting%</c>), where no options class can
/// give a default. In Azure the deployment sets them (infra/app/api.bicep); hosts add these beneath every other source.
/// </summary>
public static class BrokerConfigurationDefaults
{
    public static IReadOnlyDictionary<string, string?> Values { get; } = new Dictionary<string, string?>
    {
        [TokenOptions.RenewScheduleSetting] = TokenOptions.DefaultRenewSchedule,
        [SyncOptions.ScheduleSetting] = SyncOptions.DefaultSchedule,
        [SyncOptions.QueueNameSetting] = SyncOptions.DefaultQueueName,
        [Push.PushOptions.RenewScheduleSetting] = Push.PushOptions.DefaultRenewSchedule,
        [Connections.StatusCallbackQueue.QueueNameSetting] = Connections.StatusCallbackQueue.DefaultQueueName,
    };

    /// <summary>Adds <see cref="Values"/> as the lowest-priority source, so any configured value wins.</summary>
    public static IConfigurationBuilder AddBrokerDefaults(this IConfigurationBuilder builder)
    {
        builder.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Values });
        return builder;
    }
}
