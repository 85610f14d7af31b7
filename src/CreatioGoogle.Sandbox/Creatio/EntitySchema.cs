namespace CreatioGoogle.Sandbox.Creatio;

internal enum ColumnType
{
    Guid,
    Text,
    DateTime,
    Boolean,
    Integer,
}

/// <summary>The columns of one simulated Creatio object, with the OData names Creatio uses (lookups as <c>XxxId</c>).</summary>
internal sealed class EntitySchema(string name, params (string Name, ColumnType Type)[] columns)
{
    private readonly Dictionary<string, ColumnType> _columns = columns.ToDictionary(c => c.Name, c => c.Type, StringComparer.Ordinal);

    public string Name { get; } = name;

    public IReadOnlyList<string> ColumnNames { get; } = [.. columns.Select(c => c.Name)];

    public bool TryGetColumn(string name, out ColumnType type) => _columns.TryGetValue(name, out type);

    /// <summary>Lookup columns (<c>OwnerId</c>) and the collection they point to, for <c>$expand=Owner</c> and <c>XCollectionByY</c>.</summary>
    public IReadOnlyDictionary<string, string> Lookups { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Columns Creatio fills itself; values sent by a client are ignored.</summary>
    public static readonly IReadOnlySet<string> SystemColumns =
        new HashSet<string>(["CreatedOn", "CreatedById", "ModifiedOn", "ModifiedById", "ProcessListeners"], StringComparer.Ordinal);

    private static readonly (string, ColumnType)[] SystemColumnDefinitions =
    [
        ("Id", ColumnType.Guid), ("CreatedOn", ColumnType.DateTime), ("CreatedById", ColumnType.Guid),
        ("ModifiedOn", ColumnType.DateTime), ("ModifiedById", ColumnType.Guid), ("ProcessListeners", ColumnType.Integer),
    ];

    // Column names from the Contact OData model (facts §4.3); a subset the sync needs plus common neighbours.
    public static EntitySchema Contact { get; } = new("Contact",
    [
        .. SystemColumnDefinitions,
        ("Name", ColumnType.Text), ("Surname", ColumnType.Text), ("GivenName", ColumnType.Text), ("MiddleName", ColumnType.Text),
        ("Dear", ColumnType.Text), ("SalutationTypeId", ColumnType.Guid), ("GenderId", ColumnType.Guid),
        ("AccountId", ColumnType.Guid), ("TypeId", ColumnType.Guid), ("JobId", ColumnType.Guid), ("JobTitle", ColumnType.Text),
        ("DepartmentId", ColumnType.Guid), ("BirthDate", ColumnType.DateTime), ("Phone", ColumnType.Text),
        ("MobilePhone", ColumnType.Text), ("HomePhone", ColumnType.Text), ("Skype", ColumnType.Text), ("Email", ColumnType.Text),
        ("Address", ColumnType.Text), ("CityId", ColumnType.Guid), ("CountryId", ColumnType.Guid), ("Zip", ColumnType.Text),
        ("Notes", ColumnType.Text), ("OwnerId", ColumnType.Guid), ("DoNotUseEmail", ColumnType.Boolean),
        ("IsNonActualEmail", ColumnType.Boolean), ("LanguageId", ColumnType.Guid),
    ]);

    // Multi-value emails and phones live in this detail (facts §4.3).
    public static EntitySchema ContactCommunication { get; } = new("ContactCommunication",
    [
        .. SystemColumnDefinitions,
        ("ContactId", ColumnType.Guid), ("CommunicationTypeId", ColumnType.Guid), ("Number", ColumnType.Text),
        ("Primary", ColumnType.Boolean), ("SearchNumber", ColumnType.Text),
    ]);

    // Users: the connected Creatio user's contact (and so the owner of synced contacts) is SysAdminUnit.ContactId.
    public static EntitySchema SysAdminUnit { get; } = new("SysAdminUnit",
    [
        .. SystemColumnDefinitions,
        ("Name", ColumnType.Text), ("ContactId", ColumnType.Guid), ("SysAdminUnitTypeValue", ColumnType.Integer),
        ("Active", ColumnType.Boolean),
    ]);

    public static IReadOnlyList<EntitySchema> All { get; } = [Contact, ContactCommunication, SysAdminUnit, .. ActivitySchemas.All];
}
