using CreatioGoogle.Broker.Creatio;
using CreatioGoogle.Broker.Google.People;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Broker.Sync.Contacts;

public static class ContactsSyncServiceCollectionExtensions
{
    /// <summary>
    /// Registers the contacts sync as an <see cref="ISyncFeature"/> with validated <see cref="ContactsSyncOptions"/>, plus
    /// the People and Creatio clients it uses. The host must register an <see cref="Google.IGoogleAccessTokenSource"/>.
    /// </summary>
    public static IServiceCollection AddContactsSync(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<ContactsSyncOptions>()
            .Bind(configuration.GetSection(ContactsSyncOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => !string.IsNullOrWhiteSpace(o.GroupName), "ContactsSync:GroupName must name a Google contact group.")
            .ValidateOnStart();
        if (!services.Any(d => d.ServiceType == typeof(GooglePeopleClient)))
        {
            services.AddGooglePeopleClient(configuration);
        }

        if (!services.Any(d => d.ServiceType == typeof(ICreatioClientFactory)))
        {
            services.AddCreatioClient(configuration);
        }

        services.AddSingleton<ContactsSync>();
        services.AddSingleton<ISyncFeature>(sp => sp.GetRequiredService<ContactsSync>());
        return services;
    }
}
