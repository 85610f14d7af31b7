namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>
/// Where the contacts sync of one connection stands, kept as the cursor's <see cref="Cursor.FeatureState"/>. The
/// property names are the columns these values had on the cursor row before feature state existed, so old rows migrate
/// by being read (see <see cref="CursorStore"/>).
/// </summary>
internal sealed class ContactsState
{
    /// <summary>People's sync token for the next incremental listing.</summary>
    public string? GoogleSyncToken { get; set; }

    /// <summary>Creatio contacts modified at or after this instant are still to be looked at.</summary>
    public DateTimeOffset? CreatioModifiedSince { get; set; }

    /// <summary>The Google contact group that scopes the sync (resource name), remembered so a run needs no group lookup.</summary>
    public string? GoogleGroupResourceName { get; set; }

    /// <summary>The group name <see cref="GoogleGroupResourceName"/> was found for; a renamed setting looks it up again.</summary>
    public string? GoogleGroupName { get; set; }

    /// <summary>The connected Creatio user's contact (SysAdminUnit.ContactId), owner of the synced Creatio contacts.</summary>
    public Guid? CreatioOwnerId { get; set; }
}
