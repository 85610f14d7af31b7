using System.Text.Json.Nodes;

namespace CreatioGoogle.Broker.Creatio;

public enum CreatioBatchMethod
{
    Create,
    Update,
    Delete,
}

/// <summary>
/// One write inside a <c>$batch</c>. Creates carry their own new <see cref="Id"/> (Creatio accepts an Id on POST),
/// so the caller knows the row's id even when the item fails or the answer is lost, and a retry cannot duplicate it.
/// </summary>
public sealed record CreatioBatchOperation
{
    private CreatioBatchOperation(CreatioBatchMethod method, string collection, Guid id, JsonObject? body)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(collection);
        if (id == Guid.Empty)
        {
            throw new ArgumentException("An operation needs a non-empty Id.", nameof(id));
        }

        Method = method;
        Collection = collection;
        Id = id;
        Body = body;
    }

    public CreatioBatchMethod Method { get; }

    public string Collection { get; }

    public Guid Id { get; }

    public JsonObject? Body { get; }

    /// <summary>POST; the body's Id is used when present, otherwise <paramref name="id"/> or a new GUID.</summary>
    public static CreatioBatchOperation Create(string collection, JsonObject body, Guid? id = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        var copy = (JsonObject)body.DeepClone();
        var rowId = copy["Id"]?.GetValue<string>() is { } s && Guid.TryParse(s, out var given) && given != Guid.Empty
            ? given
            : id ?? Guid.NewGuid();
        copy["Id"] = rowId.ToString();
        return new(CreatioBatchMethod.Create, collection, rowId, copy);
    }

    /// <summary>PATCH: only the columns in <paramref name="changes"/> change.</summary>
    public static CreatioBatchOperation Update(string collection, Guid id, JsonObject changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return new(CreatioBatchMethod.Update, collection, id, (JsonObject)changes.DeepClone());
    }

    public static CreatioBatchOperation Delete(string collection, Guid id) => new(CreatioBatchMethod.Delete, collection, id, null);
}

/// <summary>
/// What Creatio did with one operation. <see cref="StatusCode"/> is 0 when Creatio sent no answer for it
/// (it stopped the batch early); <see cref="ErrorMessage"/> is Creatio's error text.
/// </summary>
public sealed record CreatioBatchResult(CreatioBatchOperation Operation, int StatusCode, Guid EntityId, JsonObject? Entity, string? ErrorMessage)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}
