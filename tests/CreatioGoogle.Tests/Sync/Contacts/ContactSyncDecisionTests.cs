using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Contacts;
using K = CreatioGoogle.Broker.Sync.Contacts.ContactActionKind;

namespace CreatioGoogle.Tests.Sync.Contacts;

/// <summary>The decision table, one row per case: (Google, Creatio, link) → action.</summary>
public sealed class ContactSyncDecisionTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Earlier = Now.AddHours(-1);
    private static readonly Guid CreatioId = Guid.Parse("11111111-2222-3333-4444-555555555555");

    private static readonly ContactFields Agreed = new() { GivenName = "Ada", Surname = "Lovelace" };
    private static readonly ContactFields Edited = Agreed with { JobTitle = "Countess" };
    private static readonly ContactFields OtherEdit = Agreed with { Notes = "analyst" };

    // Google: null = not read this run; "same" = etag as linked; "moved" = new etag.
    private static GoogleContact G(ContactFields f, string etag = "e1", DateTimeOffset? at = null) =>
        new("people/c1", etag, at ?? Earlier, f, f.Hash(), null, new Person { ResourceName = "people/c1" });

    private static CreatioContact C(ContactFields f, DateTimeOffset? modified = null) => new(CreatioId, modified ?? Earlier, f, f.Hash());

    private static Link L(string? goneSide = null, string googleId = "people/c1", DateTimeOffset? syncedAt = null) => new()
    {
        Feature = "contacts", GoogleId = googleId, CreatioId = CreatioId.ToString("D"), GoogleEtag = "e1", CreatioModifiedOn = Earlier,
        ContentHash = Agreed.Hash(), LastSyncedAt = syncedAt ?? Earlier, GoneSide = goneSide,
    };

    private static Link Unconfirmed()
    {
        var link = L(googleId: ContactSyncDecision.PendingGoogleId(CreatioId));
        link.GoogleEtag = null;
        return link;
    }

    private static readonly DateTimeOffset Later = Earlier.AddMinutes(10);

    public static TheoryData<string, ContactPair, K> Cases(string policy) => policy switch
    {
        "default" => new()
        {
            { "new in Google → create in Creatio", new() { Google = G(Agreed) }, K.CreateInCreatio },
            { "new in Creatio → create in Google", new() { Creatio = C(Agreed) }, K.CreateInGoogle },
            { "unlinked twins with equal content → link only", new() { Google = G(Agreed), Creatio = C(Agreed) }, K.SaveLink },
            { "unchanged on both sides → nothing", new() { Google = G(Agreed), Creatio = C(Agreed), Link = L() }, K.Nothing },
            { "changed in Google → update Creatio", new() { Google = G(Edited, "e2"), Link = L() }, K.UpdateCreatio },
            { "changed in Creatio → update Google", new() { Creatio = C(Edited, Later), Link = L() }, K.UpdateGoogle },
            { "Google echo of our write (etag moved, hash same) → refresh link", new() { Google = G(Agreed, "e2"), Link = L() }, K.SaveLink },
            { "Creatio echo of our write → refresh link", new() { Creatio = C(Agreed, Later), Link = L() }, K.SaveLink },
            { "content moved but etag did not → nothing", new() { Google = G(Edited, "e1"), Link = L() }, K.Nothing },
            { "both changed, Google later → Google wins", new() { Google = G(Edited, "e2", Later.AddMinutes(1)), Creatio = C(OtherEdit, Later), Link = L() }, K.UpdateCreatio },
            { "both changed, Creatio later → Creatio wins", new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later.AddMinutes(1)), Link = L() }, K.UpdateGoogle },
            { "both changed, same time → Creatio wins", new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later), Link = L() }, K.UpdateGoogle },
            { "both changed to the same content → link only", new() { Google = G(Edited, "e2"), Creatio = C(Edited, Later), Link = L() }, K.SaveLink },
            { "deleted in Google → unlink, Creatio copy kept", new() { GoogleGone = Gone.Deleted, Link = L() }, K.DropLink },
            { "deleted in Creatio → unlink, Google copy kept", new() { CreatioGone = Gone.Deleted, Link = L() }, K.DropLink },
            { "left the Google group → unlink", new() { GoogleGone = Gone.LeftScope, Link = L() }, K.DropLink },
            { "gone on both sides → drop link", new() { GoogleGone = Gone.Deleted, CreatioGone = Gone.Deleted, Link = L() }, K.DropLink },
            { "tombstone: survivor changed → nothing", new() { Creatio = C(Edited, Later), Link = L("google") }, K.Nothing },
            { "tombstone: survivor gone → drop", new() { CreatioGone = Gone.Deleted, Link = L("google") }, K.DropLink },
            { "tombstone: deleted side reported again → nothing", new() { GoogleGone = Gone.Deleted, Link = L("google") }, K.Nothing },
            { "unconfirmed Google create, young → wait", new() { Link = L(googleId: ContactSyncDecision.PendingGoogleId(CreatioId), syncedAt: Now.AddMinutes(-5)) }, K.AwaitUnconfirmedCreate },
            { "unconfirmed Google create, old → create again", new() { Link = L(googleId: ContactSyncDecision.PendingGoogleId(CreatioId), syncedAt: Now.AddHours(-2)) }, K.CreateInGoogle },
            { "unconfirmed Google create found by its stamp → link", new() { Google = G(Agreed, "e9"), Link = Unconfirmed() }, K.SaveLink },
            { "unconfirmed Google create, Creatio contact gone → drop", new() { CreatioGone = Gone.Deleted, Link = L(googleId: ContactSyncDecision.PendingGoogleId(CreatioId)) }, K.DropLink },
            { "gone before ever linked → nothing", new() { GoogleGone = Gone.Deleted }, K.Nothing },
        },
        "propagate" => new()
        {
            { "deleted in Google → delete in Creatio", new() { GoogleGone = Gone.Deleted, Link = L() }, K.DeleteInCreatio },
            { "deleted in Creatio → delete in Google", new() { CreatioGone = Gone.Deleted, Link = L() }, K.DeleteInGoogle },
            { "deleted in Google but changed in Creatio → change wins, unlink", new() { GoogleGone = Gone.Deleted, Creatio = C(Edited, Later), Link = L() }, K.DropLink },
            { "left the Google group → unlink, never delete", new() { GoogleGone = Gone.LeftScope, Link = L() }, K.DropLink },
            { "given another owner in Creatio → unlink, never delete", new() { CreatioGone = Gone.LeftScope, Link = L() }, K.DropLink },
        },
        "google-wins" => new()
        {
            { "both changed, Creatio later → Google still wins", new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later.AddHours(1)), Link = L() }, K.UpdateCreatio },
        },
        _ => new()
        {
            { "both changed, Google later → Creatio still wins", new() { Google = G(Edited, "e2", Later.AddHours(1)), Creatio = C(OtherEdit, Later), Link = L() }, K.UpdateGoogle },
        },
    };

    [Theory]
    [MemberData(nameof(Cases), "default")]
    public void Default_policy(string why, ContactPair pair, K expected) =>
        Assert.True(expected == Decide(pair, new ContactsSyncOptions()), why);

    [Theory]
    [MemberData(nameof(Cases), "propagate")]
    public void Propagating_deletes(string why, ContactPair pair, K expected) =>
        Assert.True(expected == Decide(pair, new ContactsSyncOptions { DeletePolicy = ContactDeletePolicy.Propagate }), why);

    [Theory]
    [MemberData(nameof(Cases), "google-wins")]
    public void Google_wins_conflicts(string why, ContactPair pair, K expected) =>
        Assert.True(expected == Decide(pair, new ContactsSyncOptions { ConflictPolicy = ContactConflictPolicy.GoogleWins }), why);

    [Theory]
    [MemberData(nameof(Cases), "creatio-wins")]
    public void Creatio_wins_conflicts(string why, ContactPair pair, K expected) =>
        Assert.True(expected == Decide(pair, new ContactsSyncOptions { ConflictPolicy = ContactConflictPolicy.CreatioWins }), why);

    private static K Decide(ContactPair pair, ContactsSyncOptions options) => ContactSyncDecision.Decide(pair, options, Now).Kind;
}
