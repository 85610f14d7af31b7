namespace CreatioGoogle.Broker.Creatio;

/// <summary>Who a Creatio user is as a contact: the owner of the records a sync writes for them.</summary>
public static class CreatioUsers
{
    /// <summary>
    /// The contact of the Creatio user <paramref name="creatioUserId"/> (SysAdminUnit.Id), i.e. SysAdminUnit.ContactId. Throws
    /// <see cref="InvalidOperationException"/> when the id is no GUID, or the user is unknown or has no contact.
    /// </summary>
    public static async Task<Guid> ContactOfAsync(ICreatioClient creatio, string creatioUserId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(creatio);
        if (!Guid.TryParse(creatioUserId, out var userId))
        {
            throw new InvalidOperationException("The connection's Creatio user id is not a GUID (SysAdminUnit.Id).");
        }

        var user = await creatio.GetByIdAsync("SysAdminUnit", userId, ["Id", "ContactId"], cancellationToken);
        var contactId = user?.GetGuid("ContactId") ?? Guid.Empty;
        return contactId != Guid.Empty
            ? contactId
            : throw new InvalidOperationException($"Creatio user {userId} was not found or has no contact: nobody to own synced records.");
    }
}
