using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>One node of Gmail's <c>payload</c> tree: a MIME part with its headers and, for leaves, its decoded body.</summary>
internal sealed record MessagePartNode(
    string PartId,
    string MimeType,
    string Filename,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    bool IsAttachment,
    IReadOnlyList<MessagePartNode> Parts)
{
    public MessagePartNode? Find(string partId)
    {
        if (PartId == partId)
        {
            return this;
        }

        foreach (var child in Parts)
        {
            if (child.Find(partId) is { } found)
            {
                return found;
            }
        }

        return null;
    }
}

/// <summary>
/// What the simulator knows about a stored message beyond its raw bytes, parsed once with MimeKit when it arrives:
/// the payload tree Gmail serves in <c>format=full</c>, the snippet, and the fields search (<c>q</c>) and threading use.
/// A message MimeKit cannot make sense of is still stored and served (raw intact, a best-effort payload), as Gmail does.
/// </summary>
internal sealed partial class ParsedMessage
{
    private const int SnippetLength = 200;

    // Deeply nested MIME (fuzzed or hostile) must not exhaust the stack while the tree is built.
    private static readonly ParserOptions Options = CreateOptions();

    static ParsedMessage()
    {
        // EUC-KR, Shift_JIS, ISO-2022-JP, windows-125x...: .NET only knows them with the code-pages provider.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
    }

    private ParsedMessage()
    {
    }

    public required MessagePartNode Payload { get; init; }

    public string Snippet { get; private init; } = string.Empty;

    public string Subject { get; private init; } = string.Empty;

    /// <summary>The Message-ID without angle brackets, or null.</summary>
    public string? MessageId { get; private init; }

    /// <summary>In-Reply-To and References ids, without angle brackets.</summary>
    public IReadOnlyList<string> ReferencedIds { get; private init; } = [];

    public DateTimeOffset? Date { get; private init; }

    public IReadOnlyList<string> From { get; private init; } = [];

    public IReadOnlyList<string> Recipients { get; private init; } = [];

    public bool HasAttachment { get; private init; }

    /// <summary>Lower-cased subject, addresses, names and body text for free-text search.</summary>
    public string SearchText { get; private init; } = string.Empty;

    public static ParsedMessage Parse(byte[] raw)
    {
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            return Build(MimeMessage.Load(Options, stream));
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InsufficientExecutionStackException))
        {
            // Any bytes a sender can produce must be stored and served: whatever MimeKit (or building the tree from
            // what it made) throws on, the message still arrives, as one text part.
            return Unparsable(raw);
        }
    }

    private static ParsedMessage Build(MimeMessage message)
    {
        var payload = Node(message, string.Empty);
        var text = BodyText(message);
        var from = Addresses(message.From);
        var recipients = Addresses(message.To).Concat(Addresses(message.Cc)).Concat(Addresses(message.Bcc))
            .Concat(message.Headers.Where(h => h.Field.Equals("Delivered-To", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value.Trim().ToLowerInvariant()))
            .ToList();
        var subject = message.Subject ?? string.Empty;
        var referenced = new List<string>();
        if (message.InReplyTo is { Length: > 0 } inReplyTo)
        {
            referenced.Add(inReplyTo);
        }

        referenced.AddRange(message.References);
        return new ParsedMessage
        {
            Payload = payload,
            Snippet = SnippetOf(text),
            Subject = subject,
            MessageId = string.IsNullOrWhiteSpace(message.MessageId) ? null : message.MessageId,
            ReferencedIds = referenced,
            Date = message.Headers.Contains(HeaderId.Date) && message.Date != DateTimeOffset.MinValue ? message.Date : null,
            From = from,
            Recipients = recipients,
            HasAttachment = HasAttachments(payload),
            SearchText = string.Join('\n', subject, message.From.ToString(), message.To.ToString(), message.Cc.ToString(), text).ToLowerInvariant(),
        };
    }

    private static ParserOptions CreateOptions()
    {
        var options = ParserOptions.Default.Clone();
        options.MaxMimeDepth = 64;
        return options;
    }

    /// <summary>Gmail still stores and serves what it cannot parse: the whole input becomes one text/plain body.</summary>
    private static ParsedMessage Unparsable(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw);
        return new ParsedMessage
        {
            Payload = new MessagePartNode(string.Empty, "text/plain", string.Empty, [], raw, IsAttachment: false, []),
            Snippet = SnippetOf(text),
            SearchText = text.ToLowerInvariant(),
        };
    }

    private static MessagePartNode Node(MimeMessage message, string partId)
    {
        // MimeKit moves Content-* headers to the body entity; Gmail lists the message's headers as they came.
        var headers = message.Headers.Concat(message.Body?.Headers ?? [])
            .OrderBy(h => h.Offset ?? long.MaxValue)
            .Select(Pair)
            .ToList();
        if (message.Body is null)
        {
            return new MessagePartNode(partId, "text/plain", string.Empty, headers, [], IsAttachment: false, []);
        }

        var body = Node(message.Body, partId);
        return body with { Headers = headers };
    }

    private static MessagePartNode Node(MimeEntity entity, string partId)
    {
        var mimeType = entity.ContentType.MimeType.ToLowerInvariant();
        var headers = entity.Headers.Select(Pair).ToList();
        var filename = (entity as MimePart)?.FileName ?? entity.ContentDisposition?.FileName ?? string.Empty;
        switch (entity)
        {
            case Multipart multipart:
                var children = multipart.Select((child, i) => Node(child, ChildId(partId, i))).ToList();
                return new MessagePartNode(partId, mimeType, filename, headers, null, IsAttachment: false, children);
            case MessagePart { Message: { } inner }:
                // An attached message: its bytes are fetchable like an attachment, its structure is shown as a child.
                using (var buffer = new MemoryStream())
                {
                    inner.WriteTo(buffer);
                    return new MessagePartNode(partId, mimeType, filename, headers, buffer.ToArray(), IsAttachment: true, [Node(inner, ChildId(partId, 0))]);
                }

            case MimePart part:
                var decoded = Decode(part);
                var attachment = filename.Length > 0 || !(mimeType.StartsWith("text/", StringComparison.Ordinal) || mimeType.StartsWith("message/", StringComparison.Ordinal));
                return new MessagePartNode(partId, mimeType, filename, headers, decoded, attachment, []);
            default:
                return new MessagePartNode(partId, mimeType, filename, headers, [], IsAttachment: false, []);
        }
    }

    private static string ChildId(string parent, int index) => parent.Length == 0 ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{parent}.{index}";

    private static KeyValuePair<string, string> Pair(Header h) => new(h.Field.Trim(), h.Value.Trim());

    /// <summary>Transfer-decoded bytes, charset untouched (Gmail's body.data is the part's own bytes).</summary>
    private static byte[] Decode(MimePart part)
    {
        if (part.Content is null)
        {
            return [];
        }

        using var output = new MemoryStream();
        try
        {
            part.Content.DecodeTo(output);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NotSupportedException)
        {
            // A broken transfer encoding still yields what could be decoded.
        }

        return output.ToArray();
    }

    private static string BodyText(MimeMessage message)
    {
        try
        {
            if (message.TextBody is { } plain)
            {
                return plain;
            }

            if (message.HtmlBody is { } html)
            {
                return WebUtility.HtmlDecode(Tags().Replace(Hidden().Replace(html, " "), " "));
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or DecoderFallbackException)
        {
            // Unknown charset or broken encoding: no text for the snippet, the message is still served.
        }

        return string.Empty;
    }

    /// <summary>Gmail's snippet: the start of the text, whitespace collapsed, HTML-escaped (&amp;, &#39;...).</summary>
    private static string SnippetOf(string text)
    {
        var collapsed = Spaces().Replace(text, " ").Trim();
        if (collapsed.Length > SnippetLength)
        {
            collapsed = collapsed[..SnippetLength].TrimEnd();
        }

        return WebUtility.HtmlEncode(collapsed);
    }

    private static List<string> Addresses(InternetAddressList list) =>
        [.. list.Mailboxes.Select(m => m.Address?.Trim().ToLowerInvariant() ?? string.Empty).Where(a => a.Length > 0)];

    private static bool HasAttachments(MessagePartNode node) => node.IsAttachment || node.Parts.Any(HasAttachments);

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tags();

    [GeneratedRegex(@"<(script|style)[^>]*>.*?</\1\s*>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex Hidden();
}
