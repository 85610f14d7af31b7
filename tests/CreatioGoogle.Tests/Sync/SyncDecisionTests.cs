using CreatioGoogle.Broker.Google.People;
using CreatioGoogle.Broker.Sync;
using CreatioGoogle.Broker.Sync.Contacts;
using K = CreatioGoogle.Broker.Sync.SyncActionKind;

namespace CreatioGoogle.Tests.Sync;

/// <summary>
/// The engine's decision table, one row per case: (Google, Creatio, link) → action, under each policy. Contact fields
/// give the rows their content; the table is the same for every feature.
/// </summary>
public sealed class SyncDecisionTests
{
    private static readonly DateTimeOffset Earlier = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero).AddHours(-1);
    private static readonly DateTimeOffset Later = Earlier.AddMinutes(10);
    private const string CreatioId = "11111111-2222-3333-4444-555555555555";

    private static readonly ContactFields Agreed = new() { GivenName = "Ada", Surname = "Lovelace" };
    private static readonly ContactFields Edited = Agreed with { JobTitle = "Countess" };
    private static readonly ContactFields OtherEdit = Agreed with { Notes = "analyst" };

    // Google: null = not read this run; "e1" = etag as linked; another etag = moved.
    private static SyncItem<Person> G(ContactFields f, string etag = "e1", DateTimeOffset? at = null, string id = "people/c1") =>
        new() { Id = id, Etag = etag, ModifiedAt = at ?? Earlier, Hash = f.Hash(), Native = new Person { ResourceName = id } };

    private static SyncItem<string> C(ContactFields f, DateTimeOffset? modified = null) =>
        new() { Id = CreatioId, ModifiedAt = modified ?? Earlier, Hash = f.Hash(), Native = "" };

    private static Link L(string? goneSide = null, string googleId = "people/c1") => new()
    {
        Feature = "contacts", GoogleId = googleId, CreatioId = CreatioId, GoogleEtag = "e1", CreatioModifiedOn = Earlier,
        ContentHash = Agreed.Hash(), LastSyncedAt = Earlier, GoneSide = goneSide,
    };

    private static Link Unconfirmed()
    {
        var link = L(googleId: SyncDecision.PendingGoogleId(CreatioId));
        link.GoogleEtag = null;
        return link;
    }

    private static readonly Dictionary<string, Dictionary<string, (SyncPair<Person, string> Pair, K Expected)>> Table = new()
    {
        ["default"] = new()
        {
            ["new in Google → create in Creatio"] = (new() { Google = G(Agreed) }, K.CreateInCreatio),
            ["new in Creatio → create in Google"] = (new() { Creatio = C(Agreed) }, K.CreateInGoogle),
            ["unlinked twins with equal content → link only"] = (new() { Google = G(Agreed), Creatio = C(Agreed) }, K.SaveLink),
            ["unchanged on both sides → nothing"] = (new() { Google = G(Agreed), Creatio = C(Agreed), Link = L() }, K.Nothing),
            ["changed in Google → update Creatio"] = (new() { Google = G(Edited, "e2"), Link = L() }, K.UpdateCreatio),
            ["changed in Creatio → update Google"] = (new() { Creatio = C(Edited, Later), Link = L() }, K.UpdateGoogle),
            ["Google echo of our write (etag moved, hash same) → refresh link"] = (new() { Google = G(Agreed, "e2"), Link = L() }, K.SaveLink),
            ["Creatio echo of our write → refresh link"] = (new() { Creatio = C(Agreed, Later), Link = L() }, K.SaveLink),
            ["content moved but etag did not → nothing"] = (new() { Google = G(Edited, "e1"), Link = L() }, K.Nothing),
            ["renamed in Google, same content → link follows the new id"] = (new() { Google = G(Agreed, "e1", id: "people/c2"), Link = L() }, K.SaveLink),
            ["both changed, Google later → Google wins"] = (new() { Google = G(Edited, "e2", Later.AddMinutes(1)), Creatio = C(OtherEdit, Later), Link = L() }, K.UpdateCreatio),
            ["both changed, Creatio later → Creatio wins"] = (new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later.AddMinutes(1)), Link = L() }, K.UpdateGoogle),
            ["both changed, same time → Creatio wins"] = (new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later), Link = L() }, K.UpdateGoogle),
            ["both changed to the same content → link only"] = (new() { Google = G(Edited, "e2"), Creatio = C(Edited, Later), Link = L() }, K.SaveLink),
            ["deleted in Google → unlink, Creatio copy kept"] = (new() { GoogleGone = Gone.Deleted, Link = L() }, K.DropLink),
            ["deleted in Creatio → unlink, Google copy kept"] = (new() { CreatioGone = Gone.Deleted, Link = L() }, K.DropLink),
            ["left the Google group → unlink"] = (new() { GoogleGone = Gone.LeftScope, Link = L() }, K.DropLink),
            ["gone on both sides → drop link"] = (new() { GoogleGone = Gone.Deleted, CreatioGone = Gone.Deleted, Link = L() }, K.DropLink),
            ["tombstone: survivor changed → nothing"] = (new() { Creatio = C(Edited, Later), Link = L("google") }, K.Nothing),
            ["tombstone: survivor gone → drop"] = (new() { CreatioGone = Gone.Deleted, Link = L("google") }, K.DropLink),
            ["tombstone: deleted side reported again → nothing"] = (new() { GoogleGone = Gone.Deleted, Link = L("google") }, K.Nothing),
            ["unconfirmed Google create its stamp lookup did not find → create again"] = (new() { Link = Unconfirmed() }, K.CreateInGoogle),
            ["unconfirmed Google create found by its stamp → link"] = (new() { Google = G(Agreed, "e9"), Link = Unconfirmed() }, K.SaveLink),
            ["unconfirmed Google create, Creatio item gone → drop"] = (new() { CreatioGone = Gone.Deleted, Link = Unconfirmed() }, K.DropLink),
            ["gone before ever linked → nothing"] = (new() { GoogleGone = Gone.Deleted }, K.Nothing),
        },
        ["propagate"] = new()
        {
            ["deleted in Google → delete in Creatio"] = (new() { GoogleGone = Gone.Deleted, Link = L() }, K.DeleteInCreatio),
            ["deleted in Creatio → delete in Google"] = (new() { CreatioGone = Gone.Deleted, Link = L() }, K.DeleteInGoogle),
            ["deleted in Google but changed in Creatio → change wins, unlink"] = (new() { GoogleGone = Gone.Deleted, Creatio = C(Edited, Later), Link = L() }, K.DropLink),
            ["left the Google group → unlink, never delete"] = (new() { GoogleGone = Gone.LeftScope, Link = L() }, K.DropLink),
            ["given another owner in Creatio → unlink, never delete"] = (new() { CreatioGone = Gone.LeftScope, Link = L() }, K.DropLink),
        },
        ["google-wins"] = new()
        {
            ["both changed, Creatio later → Google still wins"] = (new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later.AddHours(1)), Link = L() }, K.UpdateCreatio),
        },
        ["creatio-wins"] = new()
        {
            ["both changed, Google later → Creatio still wins"] = (new() { Google = G(Edited, "e2", Later.AddHours(1)), Creatio = C(OtherEdit, Later), Link = L() }, K.UpdateGoogle),
        },
        ["one-way"] = new()
        {
            ["new in Google → create in Creatio"] = (new() { Google = G(Agreed) }, K.CreateInCreatio),
            ["changed in Google → update Creatio"] = (new() { Google = G(Edited, "e2"), Link = L() }, K.UpdateCreatio),
            ["new in Creatio → Google is never written"] = (new() { Creatio = C(Agreed) }, K.Nothing),
            ["changed in Creatio → Google is never written"] = (new() { Creatio = C(Edited, Later), Link = L() }, K.Nothing),
            ["both changed, Creatio later → nothing written to Google"] = (new() { Google = G(Edited, "e2", Later), Creatio = C(OtherEdit, Later.AddHours(1)), Link = L() }, K.Nothing),
            ["deleted in Google → the Creatio copy is kept"] = (new() { GoogleGone = Gone.Deleted, Link = L() }, K.DropLink),
            ["deleted in Creatio → unlinked (tombstone), Google untouched"] = (new() { CreatioGone = Gone.Deleted, Link = L() }, K.DropLink),
        },
    };

    private static readonly Dictionary<string, SyncPolicy> Policies = new()
    {
        ["default"] = new SyncPolicy(),
        ["propagate"] = new SyncPolicy { Delete = DeletePolicy.Propagate },
        ["google-wins"] = new SyncPolicy { Conflict = ConflictPolicy.GoogleWins },
        ["creatio-wins"] = new SyncPolicy { Conflict = ConflictPolicy.CreatioWins },
        // mail's shape: Google → Creatio only, and Google deletes never delete Creatio's copy
        ["one-way"] = new SyncPolicy { Direction = SyncDirection.GoogleToCreatio, Delete = DeletePolicy.Propagate },
    };

    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var (policy, rows) in Table)
        {
            foreach (var why in rows.Keys)
            {
                cases.Add(policy, why);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_each_case_of_the_table(string policy, string why)
    {
        var (pair, expected) = Table[policy][why];
        var actual = SyncDecision.Decide(pair, Policies[policy]).Kind;
        Assert.True(expected == actual, $"{policy}: {why}: expected {expected}, got {actual}");
    }
}
