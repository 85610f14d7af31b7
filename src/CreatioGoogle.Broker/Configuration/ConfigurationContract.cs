using System.ComponentModel.DataAnnotations;
using System.Reflection;

namespace CreatioGoogle.Broker.Configuration;

/// <summary>
/// The settings the code reads, as app-setting names (<c>Section__Property</c>), so a test can hold the
/// deployment (infra/) to them. Options classes are found by their <c>public const string Section</c>; a property
/// marked <see cref="RequiredAttribute"/> whose default is empty must be provided (a [Required] property with a
/// default, such as Google's real endpoints, is satisfied without a setting); any other bindable property may be.
/// </summary>
public static class ConfigurationContract
{
    /// <summary>
    /// Settings the deployed app needs that no options class declares as required: the Functions host's
    /// identity-based storage, Application Insights with Entra auth, the managed identity, and the vault URI
    /// (optional locally, where secrets come from configuration, but required in Azure).
    /// </summary>
    public static IReadOnlyList<string> DeploymentSettings { get; } =
    [
        "AzureWebJobsStorage__accountName",
        "AzureWebJobsStorage__credential",
        "AzureWebJobsStorage__clientId",
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__queueServiceUri",
        "AzureWebJobsStorage__tableServiceUri",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        "AZURE_CLIENT_ID",
        "KeyVault__VaultUri",
        // Schedules and queue names that trigger bindings read as %Setting%: app settings, not options classes.
        .. BrokerConfigurationDefaults.Values.Keys,
    ];

    /// <summary>Every options section the code binds (e.g. <c>KeyVault</c>).</summary>
    public static IReadOnlyList<string> Sections(params Assembly[] assemblies) =>
        OptionsTypes(assemblies).Select(t => t.Section).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    /// <summary>Settings the deployment must provide: required options properties plus <see cref="DeploymentSettings"/>.</summary>
    public static IReadOnlyList<string> RequiredSettings(params Assembly[] assemblies) =>
        Settings(assemblies).Where(s => s.Required).Select(s => s.Name)
            .Concat(DeploymentSettings)
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every setting an options class can bind, required or not.</summary>
    public static IReadOnlyList<string> KnownSettings(params Assembly[] assemblies) =>
        Settings(assemblies).Select(s => s.Name)
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();

    private static IEnumerable<(string Name, bool Required)> Settings(Assembly[] assemblies) =>
        OptionsTypes(assemblies).SelectMany(t => Properties(t.Type, Defaults(t.Type), t.Section.Replace(":", "__", StringComparison.Ordinal), depth: 0));

    // A fresh instance shows which properties already have a value without any setting.
    private static object? Defaults(Type type) =>
        type.GetConstructor(Type.EmptyTypes) is null ? null : Activator.CreateInstance(type);

    private static IEnumerable<(Type Type, string Section)> OptionsTypes(Assembly[] assemblies)
    {
        if (assemblies.Length == 0)
        {
            assemblies = [typeof(ConfigurationContract).Assembly];
        }
        return assemblies
            .SelectMany(a => a.GetTypes())
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } f && f.FieldType == typeof(string))
            .Select(x => (x.Type, (string)x.Field!.GetRawConstantValue()!));
    }

    private static IEnumerable<(string Name, bool Required)> Properties(Type type, object? defaults, string prefix, int depth)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // The configuration binder sets public properties with a public setter (or init).
            if (property.SetMethod is not { IsPublic: true } || property.GetIndexParameters().Length > 0)
            {
                continue;
            }
            var name = $"{prefix}__{property.Name}";
            var defaultValue = defaults is null ? null : property.GetValue(defaults);
            var required = property.IsDefined(typeof(RequiredAttribute), inherit: true)
                && defaultValue is null or "";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (IsNested(propertyType) && depth < 3)
            {
                foreach (var nested in Properties(propertyType, defaultValue ?? Defaults(propertyType), name, depth + 1))
                {
                    yield return (nested.Name, required && nested.Required);
                }
                continue;
            }
            yield return (name, required);
        }
    }

    // A class bound member by member (not a scalar the binder converts from one string, nor a collection).
    private static bool IsNested(Type type) =>
        type.IsClass && type != typeof(string) && type != typeof(Uri) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(type);
}
