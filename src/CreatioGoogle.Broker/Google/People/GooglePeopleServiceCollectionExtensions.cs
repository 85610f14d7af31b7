using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Google.People;

public static class GooglePeopleServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="GooglePeopleClient"/> (typed HttpClient, standard resilience). The host must also register an
    /// <see cref="IGoogleAccessTokenSource"/>.
    /// </summary>
    public static IServiceCollection AddGooglePeopleClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<GooglePeopleOptions>()
            .Bind(configuration.GetSection(GooglePeopleOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.BaseUrl is { IsAbsoluteUri: true } u && u.AbsolutePath.EndsWith('/'),
                "GooglePeople:BaseUrl must be an absolute URL ending with '/' (e.g. https://people.googleapis.com/).")
            .ValidateOnStart();

        services.AddHttpClient<GooglePeopleClient>((sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<GooglePeopleOptions>>().Value.BaseUrl)
            .AddStandardResilienceHandler(o =>
            {
                // Creates/updates/deletes are POST/PATCH/DELETE: a retry after a lost answer could duplicate a contact or
                // fail on a spent etag. GETs are retried on 408/429/5xx, honouring Retry-After (the default).
                o.Retry.DisableForUnsafeHttpMethods();
            });
        return services;
    }
}
