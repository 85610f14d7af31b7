using System.ComponentModel.DataAnnotations;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>Settings of the contacts sync (section <c>ContactsSync</c>), validated at start.</summary>
public sealed class ContactsSyncOptions : SyncFeatureOptions
{
    public const string Section = "ContactsSync";

    /// <summary>The Google contact group whose members are synced; created when missing.</summary>
    [Required, MinLength(1), MaxLength(100)]
    public string GroupName { get; set; } = "Creatio";
}
