using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>Gmail's JSON shapes (Message, MessagePart, Label, History) from gmail.v1.json's schemas.</summary>
internal static class GmailJson
{
    private const string AttachmentPrefix = "ANGjdJ";

    public static string Id(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Gmail's bytes fields (raw, body.data) are base64url with padding.</summary>
    public static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');

    /// <summary>Google's JSON parser takes bytes as base64 or base64url, padded or not.</summary>
    public static byte[]? FromBase64(string value)
    {
        var normal = value.Trim().Replace('-', '+').Replace('_', '/');
        normal = normal.PadRight(normal.Length + ((4 - (normal.Length % 4)) % 4), '=');
        try
        {
            return Convert.FromBase64String(normal);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>id, threadId and labelIds: what list, insert, modify and trash answer.</summary>
    public static JsonObject Reference(StoredMessage m, bool withLabels)
    {
        var json = new JsonObject { ["id"] = m.Id, ["threadId"] = m.ThreadId };
        if (withLabels)
        {
            AddLabels(json, m);
        }

        return json;
    }

    /// <summary>A message in one of the four formats. metadataHeaders only narrows format=metadata, as Google documents.</summary>
    public static JsonObject Message(StoredMessage m, string format, IReadOnlyCollection<string> metadataHeaders)
    {
        var json = Reference(m, withLabels: true);
        json["snippet"] = m.Parsed.Snippet;
        if (format == "full")
        {
            json["payload"] = Part(m, m.Parsed.Payload);
        }
        else if (format == "metadata")
        {
            var headers = m.Parsed.Payload.Headers
                .Where(h => metadataHeaders.Count == 0 || metadataHeaders.Contains(h.Key, StringComparer.OrdinalIgnoreCase));
            json["payload"] = new JsonObject { ["mimeType"] = m.Parsed.Payload.MimeType, ["headers"] = Headers(headers) };
        }

        json["sizeEstimate"] = m.Raw.Length;
        if (format == "raw")
        {
            json["raw"] = Base64Url(m.Raw);
        }

        json["historyId"] = Id(m.HistoryId);
        json["internalDate"] = m.InternalDateMs.ToString(CultureInfo.InvariantCulture);
        return json;
    }

    /// <summary>
    /// Attachment ids are opaque and, as at Gmail, differ on every read of the same message: a client must use the id
    /// from the response it is processing, never one it stored earlier.
    /// </summary>
    public static string AttachmentId(string messageId, string partId) =>
        AttachmentPrefix + Base64Url(Encoding.UTF8.GetBytes($"{messageId}|{partId}|{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}")).TrimEnd('=');

    public static (string MessageId, string PartId)? ParseAttachmentId(string attachmentId)
    {
        if (!attachmentId.StartsWith(AttachmentPrefix, StringComparison.Ordinal)
            || FromBase64(attachmentId[AttachmentPrefix.Length..]) is not { } bytes)
        {
            return null;
        }

        var parts = Encoding.UTF8.GetString(bytes).Split('|');
        return parts.Length == 3 ? (parts[0], parts[1]) : null;
    }

    public static JsonObject Body(byte[] data) => data.Length == 0
        ? new JsonObject { ["size"] = 0 }
        : new JsonObject { ["size"] = data.Length, ["data"] = Base64Url(data) };

    public static JsonObject Label(string id, string name, bool system, IEnumerable<StoredMessage>? countOver)
    {
        var json = new JsonObject { ["id"] = id, ["name"] = name };
        if (!system)
        {
            json["messageListVisibility"] = "show";
            json["labelListVisibility"] = "labelShow";
        }

        json["type"] = system ? "system" : "user";
        if (countOver is not null)
        {
            var with = countOver.Where(m => m.Labels.Contains(id)).ToList();
            json["messagesTotal"] = with.Count;
            json["messagesUnread"] = with.Count(m => m.Labels.Contains(GmailLabels.Unread));
            json["threadsTotal"] = with.Select(m => m.ThreadId).Distinct(StringComparer.Ordinal).Count();
            json["threadsUnread"] = with.Where(m => m.Labels.Contains(GmailLabels.Unread)).Select(m => m.ThreadId).Distinct(StringComparer.Ordinal).Count();
        }

        return json;
    }

    /// <summary>One History; messages carry only id and threadId, as ListHistoryResponse says they "typically" do.</summary>
    public static JsonObject History(HistoryRecord record, IReadOnlySet<string>? types)
    {
        var message = new JsonObject { ["id"] = record.MessageId, ["threadId"] = record.ThreadId };
        var json = new JsonObject { ["id"] = Id(record.Id), ["messages"] = new JsonArray(message.DeepClone()) };
        bool Wanted(string type) => types is null || types.Contains(type);
        switch (record.Change)
        {
            case HistoryChange.MessageAdded when Wanted("messageAdded"):
                json["messagesAdded"] = new JsonArray(new JsonObject { ["message"] = message.DeepClone() });
                break;
            case HistoryChange.MessageDeleted when Wanted("messageDeleted"):
                json["messagesDeleted"] = new JsonArray(new JsonObject { ["message"] = message.DeepClone() });
                break;
            case HistoryChange.LabelsChanged:
                if (record.LabelsAdded.Count > 0 && Wanted("labelAdded"))
                {
                    json["labelsAdded"] = new JsonArray(new JsonObject { ["message"] = message.DeepClone(), ["labelIds"] = Strings(record.LabelsAdded) });
                }

                if (record.LabelsRemoved.Count > 0 && Wanted("labelRemoved"))
                {
                    json["labelsRemoved"] = new JsonArray(new JsonObject { ["message"] = message.DeepClone(), ["labelIds"] = Strings(record.LabelsRemoved) });
                }

                break;
        }

        return json;
    }

    public static bool HasType(HistoryRecord record, IReadOnlySet<string>? types) => types is null || record.Change switch
    {
        HistoryChange.MessageAdded => types.Contains("messageAdded"),
        HistoryChange.MessageDeleted => types.Contains("messageDeleted"),
        _ => (record.LabelsAdded.Count > 0 && types.Contains("labelAdded")) || (record.LabelsRemoved.Count > 0 && types.Contains("labelRemoved")),
    };

    public static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static void AddLabels(JsonObject json, StoredMessage m)
    {
        // A message with no labels (archived, or inserted without any) has no labelIds field at all.
        if (m.Labels.Count > 0)
        {
            json["labelIds"] = Strings(m.Labels.Order(StringComparer.Ordinal));
        }
    }

    private static JsonObject Part(StoredMessage m, MessagePartNode node)
    {
        var json = new JsonObject
        {
            ["partId"] = node.PartId,
            ["mimeType"] = node.MimeType,
            ["filename"] = node.Filename,
            ["headers"] = Headers(node.Headers),
        };
        if (node.IsAttachment)
        {
            json["body"] = new JsonObject { ["attachmentId"] = AttachmentId(m.Id, node.PartId), ["size"] = node.Body?.Length ?? 0 };
        }
        else
        {
            json["body"] = Body(node.Body ?? []);
        }

        if (node.Parts.Count > 0)
        {
            json["parts"] = new JsonArray([.. node.Parts.Select(p => (JsonNode)Part(m, p))]);
        }

        return json;
    }

    private static JsonArray Headers(IEnumerable<KeyValuePair<string, string>> headers) =>
        new([.. headers.Select(h => (JsonNode)new JsonObject { ["name"] = h.Key, ["value"] = h.Value })]);
}
