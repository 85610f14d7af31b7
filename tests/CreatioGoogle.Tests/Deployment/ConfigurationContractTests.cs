using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using CreatioGoogle.Broker;
using CreatioGoogle.Broker.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Deployment;

/// <summary>
/// The deployment (infra/, compiled to ARM JSON by the same bicep CLI as infra/build.sh) and the code agree on
/// app settings: every setting the code requires is provided, and every broker setting provided is read.
/// </summary>
public sealed class ConfigurationContractTests
{
    private static readonly Lazy<IReadOnlySet<string>> InfraSettings = new(ReadInfraAppSettings);

    private static Assembly[] CodeAssemblies =>
        [typeof(ConfigurationContract).Assembly, Assembly.Load("CreatioGoogle.Functions")];

    [Fact]
    public void Infra_provides_every_setting_the_code_requires()
    {
        var problems = ContractCheck.MissingFromInfra(ConfigurationContract.RequiredSettings(CodeAssemblies), InfraSettings.Value);

        Assert.True(problems.Count == 0, "infra/app/api.bicep does not set: " + string.Join(", ", problems));
    }

    [Fact]
    public void Every_broker_setting_infra_provides_is_read_by_the_code()
    {
        var problems = ContractCheck.UnknownToCode(
            ConfigurationContract.Sections(CodeAssemblies), ConfigurationContract.KnownSettings(CodeAssemblies), InfraSettings.Value);

        Assert.True(problems.Count == 0, "infra sets settings no options class reads (renamed or removed?): " + string.Join(", ", problems));
    }

    [Fact]
    public void Infra_provides_every_setting_a_trigger_binding_names()
    {
        // %Name% in a trigger attribute is resolved from app settings at start; a missing one stops the function.
        var named = Assembly.Load("CreatioGoogle.Functions").GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetParameters())
            .SelectMany(p => p.GetCustomAttributesData())
            .SelectMany(a => a.ConstructorArguments.Select(c => c.Value as string)
                .Concat(a.NamedArguments.Select(n => n.TypedValue.Value as string)))
            .SelectMany(v => System.Text.RegularExpressions.Regex.Matches(v ?? "", "%([^%]+)%").Select(m => m.Groups[1].Value))
            .Select(name => name.Replace(":", "__", StringComparison.Ordinal))
            .ToHashSet();

        Assert.NotEmpty(named);
        var missing = named.Where(n => !InfraSettings.Value.Contains(n)).Order().ToList();
        Assert.True(missing.Count == 0, "infra/app/api.bicep does not set trigger settings: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_contract_sees_the_secret_store_settings()
    {
        Assert.Contains("KeyVault", ConfigurationContract.Sections(CodeAssemblies));
        Assert.Contains("KeyVault__VaultUri", ConfigurationContract.KnownSettings(CodeAssemblies));
        Assert.Contains("KeyVault__CacheDuration", ConfigurationContract.KnownSettings(CodeAssemblies));
        Assert.Contains("KeyVault__VaultUri", InfraSettings.Value);
    }

    [Fact]
    public void The_broker_starts_with_exactly_the_settings_infra_provides()
    {
        // Options are validated at start: a setting the code needs at start but infra lacks stops the app in Azure.
        var values = ReadInfraAppSettingValues().ToDictionary(
            s => s.Key.Replace("__", ":", StringComparison.Ordinal),
            s => (string?)(s.Value ?? Placeholder(s.Key)));
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(values).Build();
        using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddLogging()
            .AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(configuration)
            .AddBroker(configuration)
            .BuildServiceProvider();

        var problem = Record.Exception(() => services.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());

        Assert.True(problem is null, "The broker would not start with infra's app settings: " + problem?.Message);
        Assert.IsType<CreatioGoogle.Broker.Secrets.KeyVaultSecretStore>(services.GetRequiredService<CreatioGoogle.Broker.Secrets.ISecretStore>());
        // What the functions are built from resolves too (identity-based storage clients, the sync and token services).
        Assert.NotNull(services.GetRequiredService<CreatioGoogle.Broker.Http.ConnectionsApi>());
        Assert.NotNull(services.GetRequiredService<CreatioGoogle.Broker.Sync.SyncRunner>());
        Assert.NotNull(services.GetRequiredService<CreatioGoogle.Broker.Sync.SyncScheduler>());
        Assert.NotNull(services.GetRequiredService<CreatioGoogle.Broker.Tokens.TokenRenewal>());
    }

    /// <summary>A stand-in for a value infra computes at deployment (a resource's endpoint, an identity's id).</summary>
    private static string Placeholder(string name) =>
        name.EndsWith("Uri", StringComparison.OrdinalIgnoreCase) || name.EndsWith("Url", StringComparison.OrdinalIgnoreCase)
            ? "https://example.net/"
            : name.Contains("clientId", StringComparison.OrdinalIgnoreCase) || name == "AZURE_CLIENT_ID"
                ? Guid.NewGuid().ToString()
                : "placeholder";

    [Fact]
    public void The_check_reports_a_missing_and_an_unknown_setting()
    {
        // Guards the guard: a broken deployment must produce problems, not an empty list.
        var missing = ContractCheck.MissingFromInfra(["KeyVault__VaultUri", "AZURE_CLIENT_ID"], new HashSet<string> { "AZURE_CLIENT_ID" });
        var unknown = ContractCheck.UnknownToCode(
            ["KeyVault"], ["KeyVault__VaultUri"], new HashSet<string> { "KeyVault__VaultUri", "KeyVault__VaultUrl", "OTHER_SETTING", "KeyVault__VaultUri__0" });

        Assert.Equal(["KeyVault__VaultUri"], missing);
        Assert.Equal(["KeyVault__VaultUrl"], unknown);
    }

    /// <summary>Infra's app settings with their literal values; null where the value is an ARM expression.</summary>
    private static Dictionary<string, string?> ReadInfraAppSettingValues()
    {
        var root = RepositoryRoot();
        using var template = JsonDocument.Parse(RunBicep(root, "build", Path.Combine(root, "infra", "main.bicep"), "--stdout"));
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        CollectValues(template.RootElement, values);
        Assert.NotEmpty(values);
        return values;
    }

    private static void CollectValues(JsonElement element, Dictionary<string, string?> values)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && string.Equals(type.GetString(), "Microsoft.Web/sites/config", StringComparison.OrdinalIgnoreCase)
                && element.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var setting in properties.EnumerateObject())
                {
                    var text = setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : null;
                    values[setting.Name] = text is null || text.StartsWith('[') ? null : text;
                }
            }

            foreach (var property in element.EnumerateObject())
            {
                CollectValues(property.Value, values);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                CollectValues(item, values);
            }
        }
    }

    private static IReadOnlySet<string> ReadInfraAppSettings()
    {
        var root = RepositoryRoot();
        var json = RunBicep(root, "build", Path.Combine(root, "infra", "main.bicep"), "--stdout");
        using var template = JsonDocument.Parse(json);
        var settings = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Collect(template.RootElement, settings);
        Assert.NotEmpty(settings); // the template changed shape: fix Collect rather than pass vacuously
        return settings;
    }

    // Nested deployments (modules) are inlined in the compiled template; walk all of it for the site's settings:
    // a Microsoft.Web/sites/config 'appsettings' resource (properties are the settings), or siteConfig.appSettings.
    private static void Collect(JsonElement element, HashSet<string> settings)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
                && string.Equals(type.GetString(), "Microsoft.Web/sites/config", StringComparison.OrdinalIgnoreCase)
                && element.TryGetProperty("name", out var name) && name.GetString()!.Contains("appsettings", StringComparison.OrdinalIgnoreCase)
                && element.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
            {
                foreach (var setting in properties.EnumerateObject())
                {
                    settings.Add(setting.Name);
                }
            }
            if (element.TryGetProperty("appSettings", out var appSettings) && appSettings.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in appSettings.EnumerateArray())
                {
                    if (item.TryGetProperty("name", out var settingName) && settingName.ValueKind == JsonValueKind.String)
                    {
                        settings.Add(settingName.GetString()!);
                    }
                }
            }
            foreach (var property in element.EnumerateObject())
            {
                Collect(property.Value, settings);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, settings);
            }
        }
    }

    private static string RunBicep(string root, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        start.ArgumentList.Add(Path.Combine(root, "infra", "bicep.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("bicep did not finish in 3 minutes");
        }
        Assert.True(process.ExitCode == 0, $"bicep {string.Join(' ', arguments)} failed: {stderr.Result}");
        return stdout;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CreatioGoogleFunctions.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("CreatioGoogleFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>The two comparisons, kept pure so a test can show they catch a broken deployment.</summary>
internal static class ContractCheck
{
    public static List<string> MissingFromInfra(IEnumerable<string> required, IReadOnlySet<string> infra) =>
        required.Where(s => !infra.Contains(s)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Settings under one of the code's sections (<c>Section__…</c>) that no options property binds.</summary>
    public static List<string> UnknownToCode(IEnumerable<string> sections, IEnumerable<string> known, IReadOnlySet<string> infra)
    {
        var sectionSet = sections.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var knownSet = known.ToHashSet(StringComparer.OrdinalIgnoreCase);
        return infra
            .Where(s => s.Contains("__", StringComparison.Ordinal) && sectionSet.Contains(s[..s.IndexOf("__", StringComparison.Ordinal)]))
            // A list or dictionary property is set element by element: Google__Issuers__0 belongs to Google__Issuers.
            .Where(s => !knownSet.Contains(s) && !knownSet.Any(k => s.StartsWith(k + "__", StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
