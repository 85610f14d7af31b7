using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Broker.Google.People;

public static class GooglePeopleServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="GooglePeopleClient"/> on the Google API pipeline. The host must also register an
    /// <see cref="IGoogleAccessTokenSource"/>.
    /// </summary>
    public static IServiceCollection AddGooglePeopleClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(GooglePeopleOptions.Section);
        services.AddOptions<GooglePeopleOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        services.AddGoogleApiClient<GooglePeopleClient>(section, GooglePeopleOptions.DefaultBaseUrl);
        return services;
    }
}
