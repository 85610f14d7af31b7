using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Broker.Google.Calendar;

public static class GoogleCalendarServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="GoogleCalendarClient"/> on the Google API pipeline. The host must also register an
    /// <see cref="IGoogleAccessTokenSource"/>.
    /// </summary>
    public static IServiceCollection AddGoogleCalendarClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(GoogleCalendarOptions.Section);
        services.AddOptions<GoogleCalendarOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        services.AddGoogleApiClient<GoogleCalendarClient>(section, GoogleCalendarOptions.DefaultBaseUrl);
        return services;
    }
}
