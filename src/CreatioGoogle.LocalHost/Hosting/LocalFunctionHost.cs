using System.Reflection;
using System.Text.RegularExpressions;
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>
/// Hosts a Functions app's function classes on Kestrel, without Azure Functions Core Tools: HTTP triggers as
/// endpoints, timer triggers and queue triggers as background services. Used by LocalHost's Program.cs and by tests.
/// </summary>
public static partial class LocalFunctionHost
{
    /// <summary>The setting Functions reads the default storage connection from.</summary>
    public const string StorageConnectionSetting = "AzureWebJobsStorage";

    /// <summary>
    /// Builds a WebApplication that runs every function of <paramref name="functionsAssembly"/>, with host.json
    /// from the output directory (or beside the assembly). <paramref name="configureServices"/> registers what
    /// the function classes' constructors need (e.g. <c>services.AddBroker(configuration)</c>).
    /// </summary>
    public static WebApplication Build(
        WebApplicationBuilder builder, Assembly functionsAssembly, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(functionsAssembly);
        return Build(builder, FunctionCatalog.FromAssembly(functionsAssembly), LoadHostJson(functionsAssembly), configureServices);
    }

    /// <summary>
    /// Builds a WebApplication that runs the functions of <paramref name="catalog"/> with explicit host settings.
    /// Throws, listing every function it cannot host and why, before anything starts.
    /// </summary>
    public static WebApplication Build(
        WebApplicationBuilder builder, FunctionCatalog catalog, FunctionHostSettings settings,
        Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();

        var configuration = builder.Configuration;
        var services = builder.Services;
        var errors = new List<string>();

        var http = Prepare(catalog.Http, HttpFunctionEndpoints.CreateInvoker, errors);
        var timers = Prepare(catalog.Timers, f =>
        {
            var invoker = TimerFunctionService.CreateInvoker(f);
            var schedule = TimerSchedule.Parse(Resolve(f.Schedule, configuration, f), TimeZone(configuration));
            return (invoker, schedule, f.RunOnStartup);
        }, errors);
        var queues = Prepare(catalog.Queues, f =>
        {
            var invoker = QueueFunctionService.CreateInvoker(f);
            var name = Resolve(f.QueueName, configuration, f);
            if (!QueueNamePattern().IsMatch(name) || name.Length + "-poison".Length > 63 || name.Contains("--", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    $"Function '{f.Name}' ({f.EntryPoint}): queue name '{name}' is not a valid storage queue name (lowercase letters, digits, single hyphens; with '-poison' at most 63 characters).");
            }

            return (invoker, name, connection: ConnectionString(f, configuration));
        }, errors);

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The local host cannot start:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        // AddMvcCore brings the executors that IActionResult results (ObjectResult, ContentResult, ...) need.
        services.AddMvcCore();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(catalog);
        services.AddSingleton(settings);
        configureServices?.Invoke(services);

        foreach (var (invoker, schedule, runOnStartup) in timers)
        {
            // One service per function (not AddHostedService, which keeps only one per type).
            services.AddSingleton<IHostedService>(sp => new TimerFunctionService(
                invoker, schedule, runOnStartup, sp.GetRequiredService<IServiceScopeFactory>(),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        }

        foreach (var (invoker, name, connection) in queues)
        {
            services.AddSingleton<IHostedService>(sp =>
            {
                var options = new QueueClientOptions { MessageEncoding = settings.Queues.MessageEncoding };
                return new QueueFunctionService(
                    invoker,
                    new QueueClient(connection, name, options),
                    new QueueClient(connection, name + "-poison", options),
                    settings.Queues, sp.GetRequiredService<IServiceScopeFactory>(),
                    sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>());
            });
        }

        var app = builder.Build();
        HttpFunctionEndpoints.UseLastResortErrorAnswer(app);
        HttpFunctionEndpoints.Map(app, http, settings.RoutePrefix);
        return app;
    }

    /// <summary>
    /// host.json as the Functions project copies it to the output: first beside the running program, then
    /// beside the functions assembly; absent, the runtime's defaults (route prefix "api").
    /// </summary>
    public static FunctionHostSettings LoadHostJson(Assembly functionsAssembly)
    {
        ArgumentNullException.ThrowIfNull(functionsAssembly);
        foreach (var directory in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(functionsAssembly.Location) })
        {
            if (!string.IsNullOrEmpty(directory) && File.Exists(Path.Combine(directory, "host.json")))
            {
                return FunctionHostSettings.LoadFromDirectory(directory);
            }
        }

        return new FunctionHostSettings();
    }

    private static List<T> Prepare<TFunction, T>(IEnumerable<TFunction> functions, Func<TFunction, T> prepare, List<string> errors)
        where TFunction : FunctionDescriptor
    {
        var prepared = new List<T>();
        foreach (var function in functions)
        {
            try
            {
                prepared.Add(prepare(function));
            }
            catch (InvalidOperationException e)
            {
                errors.Add(e.Message.Contains($"'{function.Name}'", StringComparison.Ordinal)
                    ? e.Message
                    : $"Function '{function.Name}' ({function.EntryPoint}): {e.Message}");
            }
        }

        return prepared;
    }

    /// <summary>Replaces each <c>%Setting%</c> with its value from configuration, as Functions does.</summary>
    internal static string Resolve(string value, IConfiguration configuration, FunctionDescriptor function) =>
        SettingPattern().Replace(value, match =>
        {
            var name = match.Groups[1].Value;
            return configuration[name] is { Length: > 0 } resolved
                ? resolved
                : throw new InvalidOperationException($"Function '{function.Name}' ({function.EntryPoint}): app setting '{name}' is not set.");
        });

    /// <summary>
    /// Connection "" or null means AzureWebJobsStorage; a name N means setting N or AzureWebJobsN, as in Functions.
    /// Identity-based connections (N__queueServiceUri) are not supported locally.
    /// </summary>
    private static string ConnectionString(QueueFunctionDescriptor function, IConfiguration configuration)
    {
        var names = string.IsNullOrEmpty(function.Connection)
            ? [StorageConnectionSetting]
            : new[] { function.Connection, "AzureWebJobs" + function.Connection };
        return names.Select(n => configuration[n]).FirstOrDefault(v => !string.IsNullOrEmpty(v))
            ?? throw new InvalidOperationException(
                $"Function '{function.Name}' ({function.EntryPoint}): no storage connection string in setting {string.Join(" or ", names)}.");
    }

    /// <summary>WEBSITE_TIME_ZONE, as on Azure; UTC when unset.</summary>
    private static TimeZoneInfo TimeZone(IConfiguration configuration) =>
        configuration["WEBSITE_TIME_ZONE"] is { Length: > 0 } id ? TimeZoneInfo.FindSystemTimeZoneById(id) : TimeZoneInfo.Utc;

    [GeneratedRegex("%([^%]+)%")]
    private static partial Regex SettingPattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueNamePattern();
}
