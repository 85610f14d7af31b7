using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google.People;

/// <summary>
/// Test controls of the People API simulator served by <see cref="SandboxGoogle"/> at <see cref="SandboxGoogle.PeopleBaseUrl"/>.
/// Method names used by the counters and fault injection are Google's: "people.connections.list", "people.createContact",
/// "people.updateContact", "people.deleteContact", "people.get", "people.getBatchGet", "people.batchCreateContacts",
/// "people.batchUpdateContacts", "people.batchDeleteContacts", "contactGroups.list", "contactGroups.get", "contactGroups.create",
/// "contactGroups.members.modify".
/// </summary>
public sealed class SandboxPeople
{
    private readonly PeopleApi _api;
    private readonly PeopleStore _store;
    private readonly Func<string, SandboxAccount> _accountByEmail;

    internal SandboxPeople(PeopleApi api, PeopleStore store, Func<string, SandboxAccount> accountByEmail)
    {
        _api = api;
        _store = store;
        _accountByEmail = accountByEmail;
    }

    /// <summary>Simulator-clock time before a write shows up in connections.list (full and incremental). Default 0.</summary>
    public TimeSpan PropagationDelay
    {
        get => _store.PropagationDelay;
        set => _store.PropagationDelay = value;
    }

    /// <summary>Simulator-clock lifetime of a sync-token chain, counted from its full sync. Default 7 days.</summary>
    public TimeSpan SyncTokenLifetime
    {
        get => _store.SyncTokenLifetime;
        set => _store.SyncTokenLifetime = value;
    }

    /// <summary>Real-time delay added to every People call (mutations hold the per-user "in flight" slot meanwhile).</summary>
    public TimeSpan Latency
    {
        get => _api.Latency;
        set => _api.Latency = value;
    }

    /// <summary>When true (default) a mutation arriving while another one of the same user is in flight gets 409 ABORTED.</summary>
    public bool RejectConcurrentMutations
    {
        get => _api.RejectConcurrentMutations;
        set => _api.RejectConcurrentMutations = value;
    }

    /// <summary>When true (default) batchCreateContacts answers in a shuffled order, which Google does not promise either way.</summary>
    public bool ShuffleBatchCreateResults
    {
        get => _api.ShuffleBatchCreateResults;
        set => _api.ShuffleBatchCreateResults = value;
    }

    /// <summary>Test-only: gives a contact a new resource name, as Google may; returns the new one.</summary>
    public string RenameContact(string email, string resourceName) => _store.Rename(_accountByEmail(email).Sub, resourceName);

    /// <summary>Test-only: the stored contact with every field, as people.get would answer (no call counted), or null.</summary>
    public JsonObject? Peek(string email, string resourceName) => _store.Peek(_accountByEmail(email).Sub, resourceName);

    /// <summary>Calls received per method, including rejected ones.</summary>
    public IReadOnlyDictionary<string, int> Calls => _api.Calls;

    public int CallCount(string method) => _api.CallCount(method);

    public int TotalCalls => _api.Calls.Values.Sum();

    public void ResetCounters() => _api.ResetCounters();

    /// <summary>
    /// The next <paramref name="count"/> authorized calls (of <paramref name="method"/>, or of any method when null) fail with
    /// <paramref name="statusCode"/> in Google's error format; 429 is RESOURCE_EXHAUSTED. Replaces an earlier injection for the same method.
    /// </summary>
    public void InjectFailures(int count, int statusCode, TimeSpan? retryAfter = null, string? method = null) =>
        _api.Inject(count, statusCode, retryAfter, method);

    /// <summary>Test-only: stores contacts for the account directly (visible at once, no calls counted). Returns resource names.</summary>
    public IReadOnlyList<string> SeedContacts(string email, IEnumerable<JsonObject> people) => _store.Seed(_accountByEmail(email).Sub, people);

    /// <summary>Test-only: contacts (not deleted) the account has right now, ignoring propagation delay.</summary>
    public int ContactCount(string email) => _store.CountLive(_accountByEmail(email).Sub);
}
