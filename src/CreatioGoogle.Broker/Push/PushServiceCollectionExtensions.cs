using CreatioGoogle.Broker.Google.Calendar;
using CreatioGoogle.Broker.Sync;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Broker.Push;

public static class PushServiceCollectionExtensions
{
    /// <summary>Calendar push: the channel store (deleted with the sync state on disconnect), the channels' lifecycle and the receiver.</summary>
    public static IServiceCollection AddPush(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PushOptions>().Bind(configuration.GetSection(PushOptions.Section)).ValidateDataAnnotations()
            .Validate(o => o.RenewBefore < o.ChannelLifetime, "Push:RenewBefore must be shorter than Push:ChannelLifetime, or every channel would be replaced at once.")
            .ValidateOnStart();
        if (!services.Any(d => d.ServiceType == typeof(GoogleCalendarClient)))
        {
            services.AddGoogleCalendarClient(configuration);
        }

        services.AddSingleton<PushChannelStore>();
        services.AddSingleton<ISyncStateStore>(sp => sp.GetRequiredService<PushChannelStore>());
        services.AddSingleton<CalendarPushChannels>();
        services.AddSingleton<IPushSubscriptions>(sp => sp.GetRequiredService<CalendarPushChannels>());
        services.AddSingleton<CalendarNotifications>();
        return services;
    }
}
