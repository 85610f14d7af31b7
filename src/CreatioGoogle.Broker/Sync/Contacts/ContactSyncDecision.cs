using CreatioGoogle.Broker.Google.People;

namespace CreatioGoogle.Broker.Sync.Contacts;

/// <summary>A Google contact in the sync's group, as this run read it.</summary>
public sealed record GoogleContact(string ResourceName, string? Etag, DateTimeOffset? UpdateTime, ContactFields Fields, string Hash, Guid? StampedCreatioId, Person Person)
{
    public static GoogleContact From(Person person)
    {
        var fields = ContactMapping.FromGoogle(person);
        var source = person.Metadata?.Sources?.FirstOrDefault(s => s.Type == "CONTACT") ?? person.Metadata?.Sources?.FirstOrDefault();
        return new(person.ResourceName!, person.Etag ?? source?.Etag, source?.UpdateTime, fields, fields.Hash(), ContactMapping.StampedCreatioId(person), person);
    }
}

/// <summary>A Creatio contact owned by the connected user, as this run read it.</summary>
public sealed record CreatioContact(Guid Id, DateTimeOffset? ModifiedOn, ContactFields Fields, string Hash)
{
    public static CreatioContact From(System.Text.Json.Nodes.JsonObject row)
    {
        var fields = ContactMapping.FromCreatio(row);
        return new(Creatio.CreatioRow.GetGuid(row, "Id"), Creatio.CreatioRow.GetDateTime(row, "ModifiedOn"), fields, fields.Hash());
    }
}

/// <summary>Why an item is not on its side any more.</summary>
public enum Gone
{
    No,
    Deleted,

    /// <summary>Removed from the Google group, or given another owner in Creatio.</summary>
    LeftScope,
}

/// <summary>
/// What the run knows of one item: each side's current state if it was read (null = not read: unchanged since the
/// last sync, or not known), whether it is gone, and the link. Built by <see cref="ContactsSync"/>, judged by
/// <see cref="ContactSyncDecision.Decide"/>.
/// </summary>
public sealed record ContactPair
{
    public GoogleContact? Google { get; init; }
    public Gone GoogleGone { get; init; }
    public CreatioContact? Creatio { get; init; }
    public Gone CreatioGone { get; init; }
    public Link? Link { get; init; }
}

public enum ContactActionKind
{
    Nothing,

    /// <summary>A Google create was started by a run that died; wait until Google lists it, or until it is presumed lost.</summary>
    AwaitUnconfirmedCreate,

    CreateInGoogle,
    CreateInCreatio,
    UpdateGoogle,
    UpdateCreatio,
    DeleteInGoogle,
    DeleteInCreatio,

    /// <summary>No write on either side: save (or refresh) the link with both sides' current etag/ModifiedOn.</summary>
    SaveLink,

    /// <summary>Stop syncing the pair: a tombstone keeps the survivor from being copied back, or the link goes when both are gone.</summary>
    DropLink,
}

public sealed record ContactAction(ContactActionKind Kind, string Why);

/// <summary>
/// The whole sync policy as one pure function (vdirsyncer's decision table, facts §5.1). "Changed" means the
/// etag/ModifiedOn moved AND the content hash differs from the link's: our own writes echo back with the hash we
/// stored, so they are never copied back.
/// </summary>
public static class ContactSyncDecision
{
    public const string PendingPrefix = "pending:";

    /// <summary>The Google id of a link whose Google copy is being created (intent written before the create).</summary>
    public static string PendingGoogleId(Guid creatioId) => PendingPrefix + creatioId.ToString("D");

    public static bool IsPending(Link link) => link.GoogleId.StartsWith(PendingPrefix, StringComparison.Ordinal);

    public static ContactAction Decide(ContactPair pair, ContactsSyncOptions options, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(options);
        var (g, c, link) = (pair.Google, pair.Creatio, pair.Link);

        if (link is { GoneSide: { } goneSide })
        {
            var survivorGone = goneSide == "google" ? pair.CreatioGone != Gone.No : pair.GoogleGone != Gone.No;
            return survivorGone
                // the kept copy is gone too: nothing left to protect
                ? Act(ContactActionKind.DropLink, "tombstone's surviving copy is gone")
                // unlinked by a delete on the other side: never synced again, never re-created
                : Act(ContactActionKind.Nothing, "unlinked after a delete on the " + goneSide + " side");
        }

        if (link is not null && IsPending(link) && g is null)
        {
            if (pair.CreatioGone != Gone.No)
            {
                // deleted in Creatio before its Google copy was confirmed
                return Act(ContactActionKind.DropLink, "Creatio contact gone before its Google copy was confirmed");
            }

            // a create that died: Google may have made it but not list it yet (writes take minutes to show)
            return now - link.LastSyncedAt >= options.UnconfirmedCreateRetryAfter
                ? Act(ContactActionKind.CreateInGoogle, "unconfirmed Google create presumed lost: create again")
                : Act(ContactActionKind.AwaitUnconfirmedCreate, "Google create not confirmed yet");
        }

        if (link is null)
        {
            if (g is not null && c is not null)
            {
                // the same contact on both sides without a link (re-link after a crash, by stamp or derived id)
                return g.Hash == c.Hash
                    ? Act(ContactActionKind.SaveLink, "same contact on both sides: linked")
                    : Conflict(g, c, options, "unlinked pair differs");
            }

            if (g is not null)
            {
                // new in Google
                return Act(ContactActionKind.CreateInCreatio, "new in Google");
            }

            if (c is not null)
            {
                // new in Creatio
                return Act(ContactActionKind.CreateInGoogle, "new in Creatio");
            }

            return Act(ContactActionKind.Nothing, "gone before it was ever linked");
        }

        var googleMoved = g is not null && g.Etag != link.GoogleEtag;
        var creatioMoved = c is not null && c.ModifiedOn != link.CreatioModifiedOn;
        var googleChanged = googleMoved && g!.Hash != link.ContentHash;
        var creatioChanged = creatioMoved && c!.Hash != link.ContentHash;

        if (pair.GoogleGone != Gone.No && pair.CreatioGone != Gone.No)
        {
            // gone on both sides
            return Act(ContactActionKind.DropLink, "gone on both sides");
        }

        if (pair.GoogleGone != Gone.No)
        {
            // deleted in Google (or left the group): a change in Creatio beats a delete; leaving the group never deletes
            return options.DeletePolicy == ContactDeletePolicy.Propagate && pair.GoogleGone == Gone.Deleted && !creatioChanged
                ? Act(ContactActionKind.DeleteInCreatio, "deleted in Google")
                : Act(ContactActionKind.DropLink, pair.GoogleGone == Gone.Deleted ? "deleted in Google: Creatio copy kept" : "left the Google group");
        }

        if (pair.CreatioGone != Gone.No)
        {
            // deleted in Creatio (or owner changed)
            return options.DeletePolicy == ContactDeletePolicy.Propagate && pair.CreatioGone == Gone.Deleted && !googleChanged
                ? Act(ContactActionKind.DeleteInGoogle, "deleted in Creatio")
                : Act(ContactActionKind.DropLink, pair.CreatioGone == Gone.Deleted ? "deleted in Creatio: Google copy kept" : "left the Creatio owner's scope");
        }

        if (googleChanged && creatioChanged)
        {
            // changed on both sides: equal content is no conflict
            return g!.Hash == c!.Hash
                ? Act(ContactActionKind.SaveLink, "same change on both sides")
                : Conflict(g, c, options, "changed on both sides");
        }

        if (googleChanged)
        {
            return Act(ContactActionKind.UpdateCreatio, "changed in Google");
        }

        if (creatioChanged)
        {
            return Act(ContactActionKind.UpdateGoogle, "changed in Creatio");
        }

        if (googleMoved || creatioMoved || (IsPending(link) && g is not null))
        {
            // our own echo, or an etag bump with the same content: remember the new etag/ModifiedOn, write nothing
            return Act(ContactActionKind.SaveLink, IsPending(link) ? "unconfirmed Google create found: linked" : "echo: link refreshed");
        }

        return Act(ContactActionKind.Nothing, "unchanged");
    }

    private static ContactAction Conflict(GoogleContact g, CreatioContact c, ContactsSyncOptions options, string why)
    {
        var googleWins = options.ConflictPolicy switch
        {
            ContactConflictPolicy.GoogleWins => true,
            ContactConflictPolicy.CreatioWins => false,
            // a tie goes to Creatio, the system of record
            _ => g.UpdateTime is { } gt && c.ModifiedOn is { } ct ? gt > ct : g.UpdateTime is not null && c.ModifiedOn is null,
        };
        return googleWins
            ? Act(ContactActionKind.UpdateCreatio, why + ": Google wins")
            : Act(ContactActionKind.UpdateGoogle, why + ": Creatio wins");
    }

    private static ContactAction Act(ContactActionKind kind, string why) => new(kind, why);
}
