using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>What one OData operation answered: a status and an optional JSON body.</summary>
internal sealed record ODataResult(int Status, JsonObject? Body);

/// <summary>
/// The in-memory Creatio database behind <c>/0/odata</c>. Used for plain requests and for each request inside a
/// <c>$batch</c>, so both behave the same. Rows are stored in OData form (lookups <c>XxxId</c>, datetimes UTC "Z").
/// </summary>
internal sealed partial class ODataService(TimeProvider clock, Func<Uri> baseUrl, int maxRowCount)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (EntitySchema Schema, Dictionary<Guid, JsonObject> Rows)> _tables =
        EntitySchema.All.ToDictionary(s => s.Name, s => (s, new Dictionary<Guid, JsonObject>()), StringComparer.Ordinal);
    private readonly Random _random = new();

    public ODataResult Execute(string method, string resource, IReadOnlyDictionary<string, string> query, JsonNode? body, Guid actor)
    {
        try
        {
            var match = ResourcePattern().Match(resource);
            if (!match.Success)
            {
                throw new ODataException(404, $"No HTTP resource was found that matches the request URI '{resource}'.");
            }

            var collection = match.Groups["c"].Value;
            var idText = match.Groups["id"].Success ? match.Groups["id"].Value : match.Groups["id2"].Success ? match.Groups["id2"].Value : null;
            Guid? id = idText is null ? null
                : Guid.TryParse(idText, out var g) ? g : throw new ODataException(400, $"The key value '{idText}' is not a valid Guid.");

            lock (_gate)
            {
                var (schema, rows) = Table(collection);
                return (method, id) switch
                {
                    ("GET", null) => Query(schema, rows, query),
                    ("GET", { } key) => new(200, Entity(schema, Find(rows, key), Select(schema, query), Expansions(schema, query), $"{schema.Name}/$entity")),
                    ("POST", null) => Create(schema, rows, body as JsonObject ?? throw new ODataException(400, "The request body must be a JSON object."), actor),
                    ("PATCH", { } key) => Update(schema, rows, key, body as JsonObject ?? throw new ODataException(400, "The request body must be a JSON object."), actor),
                    ("DELETE", { } key) => Delete(schema, rows, key),
                    _ => throw new ODataException(405, $"The HTTP method '{method}' is not allowed on '{resource}'."),
                };
            }
        }
        catch (ODataException e)
        {
            return new(e.StatusCode, ODataException.ErrorBody(e.Message));
        }
    }

    /// <summary>Direct insert for tests: system columns given in <paramref name="row"/> are kept (e.g. an old ModifiedOn).</summary>
    public JsonObject Seed(string collection, JsonObject row, Guid actor)
    {
        lock (_gate)
        {
            var (schema, rows) = Table(collection);
            var stored = NewRow(schema, row, actor, keepSystemColumns: true);
            rows[Guid.Parse(stored["Id"]!.GetValue<string>())] = stored;
            return (JsonObject)stored.DeepClone();
        }
    }

    public JsonObject? Find(string collection, Guid id)
    {
        lock (_gate)
        {
            return Table(collection).Rows.TryGetValue(id, out var row) ? (JsonObject)row.DeepClone() : null;
        }
    }

    public IReadOnlyList<JsonObject> All(string collection)
    {
        lock (_gate)
        {
            return [.. Table(collection).Rows.Values.Select(r => (JsonObject)r.DeepClone())];
        }
    }

    /// <summary>Applies an edit as a Creatio user would: the row's ModifiedOn moves to now.</summary>
    public JsonObject Touch(string collection, Guid id, JsonObject? changes, Guid actor)
    {
        lock (_gate)
        {
            var (schema, rows) = Table(collection);
            if (Update(schema, rows, id, changes ?? [], actor).Status != 204)
            {
                throw new InvalidOperationException($"{collection}({id}) does not exist.");
            }

            return (JsonObject)rows[id].DeepClone();
        }
    }

    private (EntitySchema Schema, Dictionary<Guid, JsonObject> Rows) Table(string collection) =>
        _tables.TryGetValue(collection, out var table)
            ? table
            : throw new ODataException(404, $"Resource not found for the segment '{collection}'.");

    private static JsonObject Find(Dictionary<Guid, JsonObject> rows, Guid id) =>
        rows.TryGetValue(id, out var row) ? row : throw new ODataException(404, $"Entity with Id '{id}' was not found.");

    private ODataResult Query(EntitySchema schema, Dictionary<Guid, JsonObject> rows, IReadOnlyDictionary<string, string> query)
    {
        IEnumerable<JsonObject> result = rows.Values;
        if (query.TryGetValue("$filter", out var filter) && !string.IsNullOrWhiteSpace(filter))
        {
            var predicate = ODataFilter.Parse(filter, schema);
            result = result.Where(predicate);
        }

        var sorted = Sort(result, schema, query.GetValueOrDefault("$orderby"));
        var skip = Int(query, "$skip") ?? 0;
        var top = Math.Min(Int(query, "$top") ?? maxRowCount, maxRowCount);
        var select = Select(schema, query);
        var expand = Expansions(schema, query);

        var body = new JsonObject { ["@odata.context"] = Context(schema.Name + Shape(select, expand)) };
        if (query.TryGetValue("$count", out var count) && count == "true")
        {
            body["@odata.count"] = sorted.Count;
        }

        body["value"] = new JsonArray([.. sorted.Skip(skip).Take(top).Select(r => Project(schema, r, select, expand))]);
        return new(200, body);
    }

    private List<JsonObject> Sort(IEnumerable<JsonObject> rows, EntitySchema schema, string? orderBy)
    {
        // Ties (and everything, without $orderby) come back in an arbitrary order that changes between requests,
        // as a database gives them: a client paging without a unique sort key sees duplicates and gaps.
        var list = rows.Select(r => (Row: r, Tie: _random.Next())).ToList();
        IOrderedEnumerable<(JsonObject Row, int Tie)>? ordered = null;
        if (!string.IsNullOrWhiteSpace(orderBy))
        {
            foreach (var clause in orderBy.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = clause.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var (column, type) = ODataFilter.ResolveColumn(parts[0], schema);
                var descending = parts.Length > 1 && parts[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
                if (parts.Length > 2 || (parts.Length == 2 && !descending && !parts[1].Equals("asc", StringComparison.OrdinalIgnoreCase)))
                {
                    throw new ODataException(400, $"Invalid $orderby clause '{clause}'.");
                }

                var comparer = Comparer<object?>.Create(ODataValues.Compare);
                Func<(JsonObject Row, int Tie), object?> key = x => ODataValues.Read(x.Row, column, type);
                ordered = (ordered, descending) switch
                {
                    (null, false) => list.OrderBy(key, comparer),
                    (null, true) => list.OrderByDescending(key, comparer),
                    (_, false) => ordered.ThenBy(key, comparer),
                    _ => ordered.ThenByDescending(key, comparer),
                };
            }
        }

        return (ordered?.ThenBy(x => x.Tie) ?? list.OrderBy(x => x.Tie)).Select(x => x.Row).ToList();
    }

    private ODataResult Create(EntitySchema schema, Dictionary<Guid, JsonObject> rows, JsonObject body, Guid actor)
    {
        var row = NewRow(schema, body, actor, keepSystemColumns: false);
        var id = Guid.Parse(row["Id"]!.GetValue<string>());
        if (!rows.TryAdd(id, row))
        {
            // What a primary-key violation surfaces as.
            throw new ODataException(500, $"Cannot insert duplicate key in object 'dbo.{schema.Name}'. The duplicate key value is ({id}).");
        }

        return new(201, Entity(schema, row, null, [], $"{schema.Name}/$entity"));
    }

    private ODataResult Update(EntitySchema schema, Dictionary<Guid, JsonObject> rows, Guid id, JsonObject body, Guid actor)
    {
        var row = Find(rows, id);
        var changes = Validate(schema, body);
        foreach (var (column, value) in changes)
        {
            if (column != "Id")
            {
                row[column] = value;
            }
        }

        row["ModifiedOn"] = ODataValues.Format(clock.GetUtcNow());
        row["ModifiedById"] = actor.ToString();
        return new(204, null);
    }

    private ODataResult Delete(EntitySchema schema, Dictionary<Guid, JsonObject> rows, Guid id)
    {
        Find(rows, id);
        rows.Remove(id);
        foreach (var (detail, column, _) in ActivitySchemas.Cascades.Where(c => c.Master == schema.Name))
        {
            // Creatio deletes an activity's participants with it.
            var detailRows = _tables[detail].Rows;
            foreach (var child in detailRows.Where(r => r.Value[column]?.GetValue<string>() == id.ToString()).Select(r => r.Key).ToList())
            {
                detailRows.Remove(child);
            }
        }

        return new(204, null);
    }

    private JsonObject NewRow(EntitySchema schema, JsonObject body, Guid actor, bool keepSystemColumns)
    {
        var given = Validate(schema, body, keepSystemColumns);
        var now = ODataValues.Format(clock.GetUtcNow());
        var row = new JsonObject();
        foreach (var column in schema.ColumnNames)
        {
            row[column] = schema.TryGetColumn(column, out var type) ? ODataValues.Empty(type) : null;
        }

        row["Id"] = Guid.NewGuid().ToString();
        row["CreatedOn"] = now;
        row["ModifiedOn"] = now;
        row["CreatedById"] = actor.ToString();
        row["ModifiedById"] = actor.ToString();
        foreach (var (column, value) in given)
        {
            row[column] = value;
        }

        if (Guid.Parse(row["Id"]!.GetValue<string>()) == Guid.Empty)
        {
            row["Id"] = Guid.NewGuid().ToString();
        }

        if (schema == ActivitySchemas.Activity)
        {
            ActivitySchemas.ApplyDefaults(row, actor, now);
        }

        if (schema == EntitySchema.Contact && string.IsNullOrWhiteSpace(row["Name"]!.GetValue<string>()))
        {
            // Creatio fills the full name from its parts; a contact with neither is refused (Name is required).
            var parts = new[] { "GivenName", "MiddleName", "Surname" }.Select(c => row[c]!.GetValue<string>()).Where(p => p.Length > 0);
            var name = string.Join(' ', parts);
            row["Name"] = name.Length > 0 ? name : throw new ODataException(400, "Field \"Full name\" (Name) of object \"Contact\" is required.");
        }

        return row;
    }

    private static List<(string Column, JsonNode? Value)> Validate(EntitySchema schema, JsonObject body, bool keepSystemColumns = false)
    {
        var result = new List<(string, JsonNode?)>();
        foreach (var (name, value) in body)
        {
            if (name.StartsWith('@') || name.Contains("@odata.", StringComparison.Ordinal))
            {
                continue;
            }

            if (!schema.TryGetColumn(name, out var type))
            {
                throw new ODataException(400, $"The property '{name}' does not exist on type 'Terrasoft.Configuration.{schema.Name}'. Make sure to only use property names that are defined by the type.");
            }

            if (!keepSystemColumns && EntitySchema.SystemColumns.Contains(name))
            {
                continue;
            }

            result.Add((name, ODataValues.Normalize(name, value?.DeepClone(), type)));
        }

        return result;
    }

    private static IReadOnlyList<string>? Select(EntitySchema schema, IReadOnlyDictionary<string, string> query)
    {
        if (!query.TryGetValue("$select", out var select) || string.IsNullOrWhiteSpace(select))
        {
            return null;
        }

        // A loud 400 for unknown columns rather than Creatio's reported silent empty answer (facts §0 trap 8).
        return [.. select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(c => ODataFilter.ResolveColumn(c, schema).Column)];
    }

    private JsonObject Entity(EntitySchema schema, JsonObject row, IReadOnlyList<string>? select, IReadOnlyList<Expansion> expand, string context)
    {
        var entity = new JsonObject { ["@odata.context"] = Context(schema.Name + Shape(select, expand) + context[schema.Name.Length..]) };
        foreach (var (name, value) in Project(schema, row, select, expand))
        {
            entity[name] = value?.DeepClone();
        }

        return entity;
    }

    private JsonObject Project(EntitySchema schema, JsonObject row, IReadOnlyList<string>? select, IReadOnlyList<Expansion> expand)
    {
        var result = new JsonObject();
        foreach (var column in select ?? schema.ColumnNames)
        {
            result[column] = row[column]?.DeepClone();
        }

        foreach (var expansion in expand)
        {
            result[expansion.Name] = Expanded(row, expansion);
        }

        return result;
    }

    private string Context(string fragment) => new Uri(baseUrl(), "0/odata/$metadata").ToString() + "#" + fragment;

    private static int? Int(IReadOnlyDictionary<string, string> query, string name)
    {
        if (!query.TryGetValue(name, out var text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new ODataException(400, $"Invalid value '{text}' for {name}: a non-negative integer is expected.");
    }

    // Contact, Contact(guid), Contact(Id=guid) and, as Creatio's batch examples write it, Contact/guid.
    [GeneratedRegex(@"^/?(?<c>[A-Za-z_][A-Za-z0-9_]*)(\((Id=)?(?<id>[^)]+)\)|/(?<id2>[0-9A-Fa-f-]{36}))?$")]
    private static partial Regex ResourcePattern();
}
