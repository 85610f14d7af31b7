using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.Calendar;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Broker.Sync.Calendar;

public static class CalendarSyncServiceCollectionExtensions
{
    /// <summary>
    /// Registers the calendar sync as an <see cref="ISyncFeature"/> with validated <see cref="CalendarSyncOptions"/>, plus the
    /// Calendar and Creatio clients it uses. The host must register an <see cref="Google.IGoogleAccessTokenSource"/>.
    /// </summary>
    public static IServiceCollection AddCalendarSync(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<CalendarSyncOptions>()
            .Bind(configuration.GetSection(CalendarSyncOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        if (!services.Any(d => d.ServiceType == typeof(GoogleCalendarClient)))
        {
            services.AddGoogleCalendarClient(configuration);
        }

        if (!services.Any(d => d.ServiceType == typeof(ICreatioClientFactory)))
        {
            services.AddCreatioClient(configuration);
        }

        services.AddSingleton<CalendarSync>();
        services.AddSingleton<ISyncFeature>(sp => sp.GetRequiredService<CalendarSync>());
        return services;
    }
}
