using System.Globalization;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Broker.Creatio;

/// <summary>
/// A read of one OData collection, paged with <c>$top</c>/<c>$skip</c>. <see cref="OrderBy"/> must give a total order,
/// or rows with equal keys can move between pages (duplicates and gaps): the client appends <c>Id asc</c> when missing.
/// </summary>
public sealed record CreatioQuery(string Collection)
{
    /// <summary>An OData <c>$filter</c>; build literals with <see cref="CreatioFilter"/>.</summary>
    public string? Filter { get; init; }

    /// <summary>Columns to return (<c>$select</c>); null returns all.</summary>
    public IReadOnlyList<string>? Select { get; init; }

    public string OrderBy { get; init; } = "ModifiedOn asc,Id asc";

    /// <summary>An OData <c>$expand</c>, e.g. a detail collection <c>ActivityParticipantCollectionByActivity($select=ParticipantId)</c>.</summary>
    public string? Expand { get; init; }

    /// <summary>Rows per request; null uses <see cref="CreatioOptions.PageSize"/>.</summary>
    public int? PageSize { get; init; }
}

/// <summary>One page of rows as Creatio sent them (lookups as <c>XxxId</c>, datetimes UTC "Z").</summary>
public sealed record CreatioPage(int Number, int Skip, IReadOnlyList<JsonObject> Rows);

/// <summary>OData 4 literals for <c>$filter</c>, in the forms Creatio's OData 4 endpoint reads.</summary>
public static class CreatioFilter
{
    /// <summary>A quoted string; a quote inside is doubled.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>An unquoted GUID (OData 4 form).</summary>
    public static string Literal(Guid value) => value.ToString("D");

    /// <summary>An unquoted UTC datetime with milliseconds and <c>Z</c>, the precision Creatio stores.</summary>
    public static string Literal(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Rows changed at or after <paramref name="since"/>. Inclusive on purpose: several rows can share one
    /// ModifiedOn millisecond, and a cursor equal to the last row seen must not skip its later siblings.
    /// </summary>
    public static string ModifiedSince(DateTimeOffset since) => $"ModifiedOn ge {Literal(since)}";

    public static string Equal(string column, Guid value) => $"{column} eq {Literal(value)}";

    /// <summary><c>column eq a or column eq b …</c>: Creatio's OData has no <c>in</c>; keep the list short (a URL has a length limit).</summary>
    public static string AnyOf(string column, IEnumerable<Guid> values) => string.Join(" or ", values.Select(v => $"{column} eq {Literal(v)}"));

    /// <inheritdoc cref="AnyOf(string, IEnumerable{Guid})"/>
    public static string AnyOf(string column, IEnumerable<string> values) => string.Join(" or ", values.Select(v => $"{column} eq {Literal(v)}"));

    public static string And(params IEnumerable<string?> clauses) =>
        string.Join(" and ", clauses.Where(c => !string.IsNullOrWhiteSpace(c)).Select(c => $"({c})"));
}

/// <summary>Reading Creatio's JSON values.</summary>
public static class CreatioRow
{
    public static Guid GetGuid(this JsonObject row, string column) =>
        row[column]?.GetValue<string>() is { } s && Guid.TryParse(s, out var g) ? g : Guid.Empty;

    public static DateTimeOffset? GetDateTime(this JsonObject row, string column) =>
        row[column]?.GetValue<string>() is { Length: > 0 } s
            ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;

    public static string GetText(this JsonObject row, string column) => row[column]?.GetValue<string>() ?? "";
}
