using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>
/// <c>$expand</c> as Creatio's OData 4 offers it: a lookup by its navigation name (<c>$expand=Owner</c> for
/// <c>OwnerId</c>, an object or null) and a detail collection by <c>{Detail}CollectionBy{Column}</c>
/// (<c>$expand=ActivityParticipantCollectionByActivity</c>, an array), each with nested
/// <c>($select=...;$filter=...;$orderby=...;$top=n)</c>. Unknown names are a 400, like unknown columns.
/// </summary>
internal sealed partial class ODataService
{
    private sealed record Expansion(string Name, EntitySchema Target, string Column, bool Collection, IReadOnlyList<string>? Select, Func<JsonObject, bool>? Filter, string? OrderBy, int? Top);

    private List<Expansion> Expansions(EntitySchema schema, IReadOnlyDictionary<string, string> query)
    {
        if (!query.TryGetValue("$expand", out var text) || string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var result = new List<Expansion>();
        foreach (var item in SplitTopLevel(text, ','))
        {
            var open = item.IndexOf('(', StringComparison.Ordinal);
            var name = (open < 0 ? item : item[..open]).Trim();
            var options = open < 0 ? "" : item[(open + 1)..].TrimEnd().TrimEnd(')');
            EntitySchema target;
            string column;
            bool collection;
            if (schema.Lookups.TryGetValue(name + "Id", out var lookupTarget) && _tables.TryGetValue(lookupTarget, out var lookupTable))
            {
                (target, column, collection) = (lookupTable.Schema, name + "Id", false);
            }
            else if (CollectionPattern().Match(name) is { Success: true } m
                && _tables.TryGetValue(m.Groups["detail"].Value, out var detail)
                && detail.Schema.Lookups.TryGetValue(m.Groups["column"].Value + "Id", out var master) && master == schema.Name)
            {
                (target, column, collection) = (detail.Schema, m.Groups["column"].Value + "Id", true);
            }
            else
            {
                throw new ODataException(400, $"Could not find a property named '{name}' on type 'Terrasoft.Configuration.{schema.Name}'.");
            }

            var nested = SplitTopLevel(options, ';').Select(o => o.Split('=', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
            if (SplitTopLevel(options, ';').Count != nested.Count || nested.Keys.Any(k => k is not ("$select" or "$filter" or "$orderby" or "$top")))
            {
                throw new ODataException(400, $"Invalid options in $expand of '{name}': only $select, $filter, $orderby and $top are supported.");
            }

            result.Add(new Expansion(
                name,
                target,
                column,
                collection,
                Select(target, nested),
                nested.TryGetValue("$filter", out var filter) ? ODataFilter.Parse(filter, target) : null,
                nested.GetValueOrDefault("$orderby"),
                Int(nested, "$top")));
        }

        return result;
    }

    private JsonNode? Expanded(JsonObject row, Expansion e)
    {
        var rows = _tables[e.Target.Name].Rows;
        if (!e.Collection)
        {
            var id = Guid.Parse(row[e.Column]!.GetValue<string>());
            return id != Guid.Empty && rows.TryGetValue(id, out var referenced) ? Project(e.Target, referenced, e.Select, []) : null;
        }

        var key = row["Id"]!.GetValue<string>();
        var children = rows.Values.Where(r => r[e.Column]?.GetValue<string>() == key);
        if (e.Filter is not null)
        {
            children = children.Where(e.Filter);
        }

        var sorted = Sort(children, e.Target, e.OrderBy);
        return new JsonArray([.. sorted.Take(e.Top ?? int.MaxValue).Select(r => (JsonNode)Project(e.Target, r, e.Select, []))]);
    }

    /// <summary>The part of @odata.context after the collection: <c>(Title,Owner())</c>, as Creatio writes <c>Employee(Account())</c>.</summary>
    private static string Shape(IReadOnlyList<string>? select, IReadOnlyList<Expansion> expand)
    {
        if (select is null && expand.Count == 0)
        {
            return "";
        }

        var parts = (select ?? []).Concat(expand.Select(e => e.Name + "(" + string.Join(',', e.Select ?? []) + ")"));
        return "(" + string.Join(',', parts) + ")";
    }

    private static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '(')
            {
                depth++;
            }
            else if (!quoted && c == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return [.. parts.Where(p => !string.IsNullOrWhiteSpace(p))];
    }

    [GeneratedRegex("^(?<detail>[A-Za-z][A-Za-z0-9_]*)CollectionBy(?<column>[A-Za-z][A-Za-z0-9_]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex CollectionPattern();
}
