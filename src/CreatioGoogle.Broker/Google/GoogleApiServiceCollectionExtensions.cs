using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CreatioGoogle.Broker.Google;

/// <summary>Where one Google API is (e.g. section <c>GooglePeople</c>, <c>GoogleCalendar</c>); the default is the real service.</summary>
public sealed class GoogleApiClientOptions
{
    /// <summary>Root of the API; the client appends its paths (<c>v1/...</c>). Absolute and ending with '/'.</summary>
    [Required] public Uri BaseUrl { get; set; } = null!;

    /// <summary>
    /// A Retry-After longer than this is not waited out inside one call: the error goes to the caller (a sync job is
    /// retried by its queue) rather than holding a request open past its timeout.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(20);
}

public static class GoogleApiServiceCollectionExtensions
{
    /// <summary>
    /// Registers a typed Google API client on the one Google pipeline: <see cref="GoogleApiHandler"/> (token, one refresh
    /// on 401, errors as <see cref="GoogleApiException"/>) around the standard resilience handler with Google's retry rules
    /// (<see cref="GoogleApiRetry"/>). The client builds its requests with <see cref="GoogleApiRequest.Create"/>; its
    /// <see cref="HttpClient.BaseAddress"/> is <c>BaseUrl</c> from <paramref name="section"/>, else <paramref name="defaultBaseUrl"/>.
    /// A new Google API is a typed client plus one line here. The host registers an <see cref="IGoogleAccessTokenSource"/>.
    /// </summary>
    public static IHttpClientBuilder AddGoogleApiClient<TClient>(this IServiceCollection services, IConfigurationSection section, Uri defaultBaseUrl)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(defaultBaseUrl);
        var name = OptionsName<TClient>();
        services.AddOptions<GoogleApiClientOptions>(name)
            .Configure(o => o.BaseUrl = defaultBaseUrl)
            .Bind(section)
            .ValidateDataAnnotations()
            .Validate(o => o.BaseUrl is { IsAbsoluteUri: true } u && u.AbsolutePath.EndsWith('/'),
                $"{section.Path}:BaseUrl must be an absolute URL ending with '/' (e.g. {defaultBaseUrl}).")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddTransient<GoogleApiHandler>();

        var client = services.AddHttpClient<TClient>((sp, http) =>
            http.BaseAddress = sp.GetRequiredService<IOptionsMonitor<GoogleApiClientOptions>>().Get(name).BaseUrl);
        client.AddHttpMessageHandler<GoogleApiHandler>()
            .AddStandardResilienceHandler()
            .Configure((o, sp) => GoogleApiRetry.Configure(o.Retry, sp.GetRequiredService<IOptionsMonitor<GoogleApiClientOptions>>().Get(name).MaxRetryAfter));
        return client;
    }

    /// <summary>The named options of a client registered with <see cref="AddGoogleApiClient{TClient}"/>.</summary>
    public static string OptionsName<TClient>() => typeof(TClient).FullName!;
}

/// <summary>
/// Google's retry rules for the pipeline's retry stage: retry a safe request (GET) on 408, 429, 5xx, a 403 whose reason is
/// a rate limit (Calendar and Gmail send <c>rateLimitExceeded</c>/<c>userRateLimitExceeded</c> as 403, facts §2.4), or a
/// network failure, waiting what Retry-After says. Never a write: a lost answer to a create would make a duplicate, and
/// a repeated update would fail on a spent etag; a write's error carries Retry-After for its caller instead.
/// </summary>
internal static class GoogleApiRetry
{
    public static void Configure(HttpRetryStrategyOptions retry, TimeSpan maxRetryAfter)
    {
        retry.ShouldRetryAfterHeader = true;
        retry.ShouldHandle = async args =>
        {
            if (args.Outcome.Result is not { } response)
            {
                return HttpClientResiliencePredicates.IsTransient(args.Outcome);
            }

            if (response.Headers.RetryAfter?.Delta is { } wait && wait > maxRetryAfter)
            {
                return false;
            }

            if (response.StatusCode == HttpStatusCode.Forbidden)
            {
                // Only a 403 about rates is worth waiting for; its reason is in the body (read buffered: the caller reads it again).
                var (_, reasons, _) = await GoogleApiException.ReadErrorAsync(response, args.Context.CancellationToken);
                return reasons.Any(GoogleApiException.IsRateLimitReason);
            }

            return HttpClientResiliencePredicates.IsTransient(args.Outcome);
        };

        // After ShouldHandle is set: this wraps it, so unsafe methods are never retried whatever the answer.
        retry.DisableForUnsafeHttpMethods();
    }
}
