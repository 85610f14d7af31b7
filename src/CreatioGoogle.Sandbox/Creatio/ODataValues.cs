using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Creatio;

/// <summary>An OData failure with the status Creatio answers; written as <c>{"error":{"code","message"}}</c>.</summary>
internal sealed class ODataException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public static JsonObject ErrorBody(string message) => new() { ["error"] = new JsonObject { ["code"] = "", ["message"] = message } };
}

/// <summary>Reading, writing and formatting column values the way Creatio's OData 4 JSON shows them.</summary>
internal static class ODataValues
{
    /// <summary>Creatio keeps datetimes to the millisecond and prints them in UTC with <c>Z</c>, trailing zeros trimmed.</summary>
    public static string Format(DateTimeOffset value) =>
        Truncate(value).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFF'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset Truncate(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>The stored value of a column: Guid, string, DateTimeOffset?, bool or long.</summary>
    public static object? Read(JsonObject row, string column, ColumnType type)
    {
        var node = row[column];
        return type switch
        {
            ColumnType.Guid => node is null ? Guid.Empty : Guid.Parse(node.GetValue<string>()),
            ColumnType.Text => node?.GetValue<string>() ?? "",
            ColumnType.DateTime => node is null ? null : DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture),
            ColumnType.Boolean => node is not null && node.GetValue<bool>(),
            ColumnType.Integer => node is null ? 0L : node.GetValue<long>(),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>The empty value a new row gets: lookups the empty GUID, text "", dates null (facts §4.2).</summary>
    public static JsonNode? Empty(ColumnType type) => type switch
    {
        ColumnType.Guid => Guid.Empty.ToString(),
        ColumnType.Text => "",
        ColumnType.Boolean => false,
        ColumnType.Integer => 0,
        _ => null,
    };

    /// <summary>A client-sent value checked against the column type, in stored form. Wrong types are a 400, as in Creatio.</summary>
    public static JsonNode? Normalize(string column, JsonNode? value, ColumnType type)
    {
        if (value is null)
        {
            return Empty(type);
        }

        if (value is not JsonValue v)
        {
            throw new ODataException(400, $"Invalid value for property '{column}': an object or array is not allowed.");
        }

        switch (type)
        {
            case ColumnType.Guid when v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g):
                return g.ToString();
            case ColumnType.Text when v.TryGetValue<string>(out var s):
                return s;
            case ColumnType.DateTime when v.TryGetValue<string>(out var s)
                && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d):
                return Format(d);
            case ColumnType.Boolean when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                return v.GetValue<bool>();
            // A JsonValue built from an int does not convert to long: go through its JSON text.
            case ColumnType.Integer when v.GetValueKind() == JsonValueKind.Number
                && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n):
                return n;
            default:
                throw new ODataException(400, $"Cannot convert the literal '{v.ToJsonString()}' to the expected type of property '{column}' ({type}).");
        }
    }

    public static int Compare(object? a, object? b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        (string x, string y) => string.Compare(x, y, StringComparison.OrdinalIgnoreCase), // SQL Server's default collation ignores case
        (Guid x, Guid y) => x.CompareTo(y),
        (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
        (bool x, bool y) => x.CompareTo(y),
        (long x, long y) => x.CompareTo(y),
        _ => throw new ODataException(400, $"The types {a.GetType().Name} and {b.GetType().Name} cannot be compared."),
    };
}
