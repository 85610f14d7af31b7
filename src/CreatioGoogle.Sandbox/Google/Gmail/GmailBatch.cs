using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CreatioGoogle.Sandbox.Google.Gmail;

/// <summary>
/// Google's batch endpoint (<c>POST /batch/gmail/v1</c>): a <c>multipart/mixed</c> body whose parts are
/// <c>application/http</c> requests with path-only URLs; the outer request's headers (Authorization) apply to every
/// part that does not set its own. At most 100 parts; each is charged and answered like the call it carries, and
/// answered with <c>Content-ID: &lt;response-{id}&gt;</c>.
/// </summary>
internal static class GmailBatch
{
    public const int MaxParts = 100;
    private const int MaxBatchBytes = 32 << 20;

    public static async Task HandleAsync(HttpContext ctx, GmailApi api)
    {
        var ct = ctx.RequestAborted;
        var boundary = MediaTypeHeaderValue.TryParse(ctx.Request.ContentType, out var type) && type.MediaType.Equals("multipart/mixed", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary))
        {
            await GmailApi.WriteAsync(ctx.Response, GmailResponse.From(GmailApiError.BadRequest("Batch requests must be multipart/mixed with a boundary.")), ct);
            return;
        }

        var body = await GmailApi.ReadBodyAsync(ctx.Request, MaxBatchBytes, ct);
        if (body is null)
        {
            await GmailApi.WriteAsync(ctx.Response, new GmailResponse(413, new GmailApiError(413, "OUT_OF_RANGE", "batchSizeTooLarge", "Batch request too large.").ToJson()), ct);
            return;
        }

        List<(string? ContentId, GmailRequest Request)> parts;
        int count;
        try
        {
            (parts, count) = await ReadPartsAsync(boundary, body, ctx.Request.Headers.Authorization, ct);
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException)
        {
            await GmailApi.WriteAsync(ctx.Response, GmailResponse.From(GmailApiError.BadRequest("Failed to parse batch request: " + e.Message)), ct);
            return;
        }

        if (count == 0 || count > MaxParts)
        {
            // Google's words for an oversized batch (observed on gmail.googleapis.com/batch).
            var message = count == 0 ? "Batch request contains no requests." : $"Inner request count exceeds the limit. Received: {count}, Limit: {MaxParts}";
            await GmailApi.WriteAsync(ctx.Response, GmailResponse.From(GmailApiError.BadRequest(message)), ct);
            return;
        }

        // Google serves the parts side by side: one batch costs about one call's latency.
        await api.WaitLatencyAsync(ct);
        var outerBoundary = "batch_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var output = new StringBuilder();
        foreach (var (contentId, request) in parts)
        {
            var answer = await api.HandleAsync(request, ct);
            output.Append("--").Append(outerBoundary).Append("\r\n");
            output.Append("Content-Type: application/http\r\n");
            if (contentId is not null)
            {
                output.Append("Content-ID: <response-").Append(contentId).Append(">\r\n");
            }

            output.Append("\r\n");
            output.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {answer.Status} {ReasonPhrase(answer.Status)}\r\n");
            if (answer.RetryAfter is { } after)
            {
                output.Append(CultureInfo.InvariantCulture, $"Retry-After: {(int)Math.Ceiling(after.TotalSeconds)}\r\n");
            }

            if (answer.Body is not null)
            {
                output.Append("Content-Type: application/json; charset=UTF-8\r\n\r\n").Append(answer.Body.ToJsonString()).Append("\r\n");
            }
            else
            {
                output.Append("\r\n");
            }
        }

        output.Append("--").Append(outerBoundary).Append("--\r\n");
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "multipart/mixed; boundary=" + outerBoundary;
        await ctx.Response.WriteAsync(output.ToString(), ct);
    }

    private static async Task<(List<(string? ContentId, GmailRequest Request)> Parts, int Count)> ReadPartsAsync(
        string boundary, byte[] body, string? outerAuthorization, CancellationToken ct)
    {
        var parts = new List<(string?, GmailRequest)>();
        var count = 0;
        var reader = new MultipartReader(boundary, new MemoryStream(body)) { BodyLengthLimit = MaxBatchBytes };
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (++count > MaxParts)
            {
                // The batch will be refused; the rest need only be counted.
                continue;
            }

            using var buffer = new MemoryStream();
            await section.Body.CopyToAsync(buffer, ct);
            var contentId = section.Headers?.TryGetValue("Content-ID", out var id) == true ? id.ToString().Trim().Trim('<', '>') : null;
            parts.Add((string.IsNullOrEmpty(contentId) ? null : contentId, ParseHttpRequest(buffer.ToArray(), outerAuthorization)));
        }

        return (parts, count);
    }

    /// <summary>"GET /gmail/v1/users/me/messages/1?format=raw HTTP/1.1", headers, a blank line, an optional body.</summary>
    private static GmailRequest ParseHttpRequest(byte[] bytes, string? outerAuthorization)
    {
        var headerEnd = IndexOf(bytes, "\r\n\r\n"u8, out var separatorLength);
        var head = Encoding.ASCII.GetString(bytes, 0, headerEnd < 0 ? bytes.Length : headerEnd);
        var content = headerEnd < 0 ? [] : bytes[(headerEnd + separatorLength)..];
        var lines = head.Split('\n').Select(l => l.TrimEnd('\r')).SkipWhile(string.IsNullOrWhiteSpace).ToList();
        var requestLine = lines.FirstOrDefault()?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            ?? throw new FormatException("A part has no request line.");
        if (requestLine.Length < 2)
        {
            throw new FormatException("A part's request line is not \"METHOD /path\".");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        var target = requestLine[1];
        if (Uri.TryCreate(target, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
        {
            target = absolute.PathAndQuery;
        }

        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var query = QueryHelpers.ParseQuery(question < 0 ? string.Empty : target[question..]);
        return new GmailRequest(requestLine[0].ToUpperInvariant(), path, query,
            headers.GetValueOrDefault("Authorization") ?? outerAuthorization, headers.GetValueOrDefault("Content-Type"), TrimTrailingNewline(content));
    }

    private static int IndexOf(byte[] bytes, ReadOnlySpan<byte> crlfcrlf, out int length)
    {
        var index = bytes.AsSpan().IndexOf(crlfcrlf);
        if (index >= 0)
        {
            length = crlfcrlf.Length;
            return index;
        }

        // Bare LF line ends, as some hand-written batches have.
        length = 2;
        return bytes.AsSpan().IndexOf("\n\n"u8);
    }

    private static byte[] TrimTrailingNewline(byte[] content)
    {
        var end = content.Length;
        while (end > 0 && content[end - 1] is (byte)'\r' or (byte)'\n')
        {
            end--;
        }

        return end == content.Length ? content : content[..end];
    }

    private static string ReasonPhrase(int status) => ReasonPhrases.GetReasonPhrase(status);
}
