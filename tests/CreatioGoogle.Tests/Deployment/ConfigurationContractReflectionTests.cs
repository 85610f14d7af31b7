using System.ComponentModel.DataAnnotations;
using CreatioGoogle.Broker.Configuration;

namespace CreatioGoogle.Tests.Deployment;

public sealed class ConfigurationContractReflectionTests
{
    [Fact]
    public void Options_classes_become_double_underscore_setting_names_and_required_ones_are_required()
    {
        var assembly = typeof(SampleContractOptions).Assembly;

        var required = ConfigurationContract.RequiredSettings(assembly);
        var known = ConfigurationContract.KnownSettings(assembly);

        Assert.Contains("Sample__Nested__Name", required);
        Assert.DoesNotContain("Sample__Nested__Optional", required);
        Assert.DoesNotContain("Sample__Nested__WithDefault", required); // [Required] but already has a value
        Assert.Contains("Sample__Nested__WithDefault", known);
        Assert.Contains("Sample__Nested__Optional", known);
        Assert.Contains("Sample__Nested__Inner__Endpoint", known);
        Assert.DoesNotContain(known, s => s.EndsWith("__ReadOnly", StringComparison.Ordinal));
        Assert.Contains("KeyVault__VaultUri", required); // deployment settings are always part of "required"
    }
}

public sealed class SampleContractOptions
{
    public const string Section = "Sample:Nested";

    [Required]
    public string Name { get; set; } = "";

    public int Optional { get; set; }

    [Required]
    public Uri WithDefault { get; set; } = new("https://example.test/");

    public SampleInner Inner { get; set; } = new();

    public string ReadOnly => Name;
}

public sealed class SampleInner
{
    public Uri? Endpoint { get; set; }
}
