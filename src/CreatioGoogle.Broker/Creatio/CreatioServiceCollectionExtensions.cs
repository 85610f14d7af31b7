using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Creatio;

public static class CreatioServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ICreatioClientFactory"/>, validated <see cref="CreatioOptions"/> and the <c>creatio</c>
    /// HTTP client. Needs <see cref="Secrets.ISecretStore"/> and the tenants' options (both from AddBroker).
    /// </summary>
    public static IServiceCollection AddCreatioClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<CreatioOptions>()
            .Bind(configuration.GetSection(CreatioOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddHttpClient(CreatioClientFactory.HttpClientName)
            // Cookies are per tenant session and sent by hand; a shared handler must not keep or follow anything.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                UseCookies = false,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.All,
            })
            .AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions o, IServiceProvider sp) =>
            {
                var creatio = sp.GetRequiredService<IOptions<CreatioOptions>>().Value;
                // Logins, token calls, creates, updates, deletes and $batch are POST/PATCH/DELETE: a blind retry
                // after a lost answer could apply them twice.
                o.Retry.DisableForUnsafeHttpMethods();
                o.Retry.MaxRetryAttempts = Math.Max(creatio.MaxRetryAttempts, 1);
                o.Retry.Delay = creatio.RetryBaseDelay;
                if (creatio.MaxRetryAttempts == 0)
                {
                    o.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
                }

                o.AttemptTimeout.Timeout = creatio.AttemptTimeout;
                o.TotalRequestTimeout.Timeout = creatio.TotalRequestTimeout;
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, creatio.AttemptTimeout.Ticks * 2));
            })
            // One circuit breaker per Creatio site: one tenant's outage must not cut off the others.
            .SelectPipelineByAuthority();

        services.TryAddSingleton<ICreatioClientFactory, CreatioClientFactory>();
        return services;
    }
}
