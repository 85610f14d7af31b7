using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>
/// Reads an API's JSON body the strict way: JSON only, at most <see cref="EdgeRules.MaxJsonBodyBytes"/> (413 beyond,
/// on either host, whatever the transport's own limit), and no properties the API does not know (400 naming them),
/// so nothing a caller pads a request with is read, let alone stored.
/// </summary>
public static class JsonBody
{
    private static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static async Task<(T? Body, IActionResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentType is null || !request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, ApiProblem.Create(415, "Unsupported media type.", "Send the body as JSON with Content-Type: application/json."));
        }

        const int limit = EdgeRules.MaxJsonBodyBytes;
        if (request.ContentLength > limit)
        {
            return (null, ApiProblem.PayloadTooLarge(limit));
        }

        // Read at most one byte past the limit: a chunked body has no length to check up front.
        var buffer = new byte[limit + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length > limit)
        {
            return (null, ApiProblem.PayloadTooLarge(limit));
        }

        if (length == 0)
        {
            return (null, ApiProblem.Create(400, "The body is empty.", "Send a JSON object."));
        }

        try
        {
            var body = JsonSerializer.Deserialize<T>(buffer.AsSpan(0, length), Strict);
            return body is null
                ? (null, ApiProblem.Create(400, "The body is empty.", "Send a JSON object."))
                : (body, null);
        }
        catch (JsonException e)
        {
            // The exception's own text names .NET types; the caller gets the place and the properties there are.
            return (null, ApiProblem.Create(400, "The body is not valid JSON for this request.",
                $"JSON could not be read at {e.Path ?? "$"} (line {(e.LineNumber ?? 0) + 1}): malformed, a value of the wrong type, " +
                $"or an unknown property. Known properties: {string.Join(", ", PropertyNames<T>())}."));
        }
    }

    private static IEnumerable<string> PropertyNames<T>() =>
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true })
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name));
}
