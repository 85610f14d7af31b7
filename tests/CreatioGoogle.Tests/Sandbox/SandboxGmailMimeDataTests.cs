using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static CreatioGoogle.Tests.Sandbox.GmailSandboxWorld;
using static CreatioGoogle.Tests.Sandbox.SandboxGmailApiTests;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>
/// Every message of the public MIME test suite in ../shared/data/mime (charsets, encodings, multipart, broken headers)
/// loaded into a sandbox mailbox and read back in all four formats, as the mail import will read them.
/// </summary>
public sealed class SandboxGmailMimeDataTests
{
    private static readonly string[] Formats = ["minimal", "metadata", "full", "raw"];

    [MimeDataFact]
    public async Task Every_shipped_message_is_served_in_all_four_formats_with_its_raw_bytes_intact()
    {
        await using var world = await StartAsync();
        var folder = SharedTestData.MimeFolder!;
        var files = Directory.GetFiles(folder, "*.eml", SearchOption.AllDirectories);

        var delivered = world.Gmail.DeliverFolder(Alice, folder);

        Assert.Equal(files.Length, delivered.Count);
        Assert.True(files.Length >= 50, $"expected the whole suite, found {files.Length} files");
        foreach (var (path, message) in delivered)
        {
            var name = Path.GetRelativePath(folder, path);
            var bytes = await File.ReadAllBytesAsync(path);
            var answers = new Dictionary<string, JsonNode>();
            foreach (var format in Formats)
            {
                var answer = await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}?format={format}");
                Assert.True(answer.Status == HttpStatusCode.OK, $"{name} format={format}: {(int)answer.Status} {answer.Text}");
                answers[format] = answer.Body;
            }

            // raw is the file itself, byte for byte; the size Gmail reports is the raw size.
            Assert.True(bytes.AsSpan().SequenceEqual(FromBase64Url(answers["raw"]["raw"]!.GetValue<string>())), $"{name}: raw bytes changed");
            Assert.Equal(bytes.Length, answers["minimal"]["sizeEstimate"]!.GetValue<int>());
            Assert.Null(answers["minimal"]["payload"]);
            Assert.Null(answers["raw"]["payload"]);

            // full always has a payload tree; every leaf has a body (data or an attachment id), every node a MIME type.
            var payload = answers["full"]["payload"]!;
            Assert.Equal(string.Empty, payload["partId"]!.GetValue<string>());
            foreach (var part in Walk(payload))
            {
                Assert.False(string.IsNullOrEmpty(part["mimeType"]?.GetValue<string>()), $"{name}: part {part["partId"]} has no mimeType");
                Assert.NotNull(part["body"]);
                if (part["body"]!["attachmentId"]?.GetValue<string>() is { } attachmentId)
                {
                    var attachment = await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}/attachments/{attachmentId}");
                    Assert.True(attachment.Status == HttpStatusCode.OK, $"{name}: attachment of part {part["partId"]}: {attachment.Text}");
                    Assert.Equal(part["body"]!["size"]!.GetValue<int>(), attachment.Body["size"]!.GetValue<int>());
                }
            }

            // metadata has the top-level headers and no body.
            Assert.Null(answers["metadata"]["payload"]!["parts"]);
            Assert.Equal(Names(payload["headers"]), Names(answers["metadata"]["payload"]!["headers"]));
        }
    }

    [MimeDataFact]
    public async Task Importing_every_shipped_message_through_the_api_keeps_each_byte()
    {
        await using var world = await StartAsync();
        var token = world.TokenFor(Alice, Modify);
        foreach (var path in Directory.GetFiles(SharedTestData.MimeFolder!, "*.eml", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(path);
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new("message/rfc822");

            var imported = await world.SendAsync(HttpMethod.Post, "upload/gmail/v1/users/me/messages/import?uploadType=media", content, token);

            Assert.True(imported.Status == HttpStatusCode.OK, $"{Path.GetFileName(path)}: {imported.Text}");
            Assert.Equal(bytes, world.Gmail.Message(Alice, imported.Body["id"]!.GetValue<string>())!.Raw.ToArray());
        }
    }

    [MimeDataFact]
    public async Task What_a_reader_sees_survives_charsets_encoded_words_and_broken_headers()
    {
        await using var world = await StartAsync();
        var folder = SharedTestData.MimeFolder!;
        var byName = world.Gmail.DeliverFolder(Alice, folder).ToDictionary(d => Path.GetRelativePath(folder, d.Path).Replace('\\', '/'), d => d.Message.Id);

        // Encoded words in headers are decoded (ISO-2022-JP body, UTF-8 subject; a Latin-1 quoted-printable subject).
        var japanese = await FullAsync(world, byName["multi_charset/japanese_iso_2022.eml"]);
        Assert.Equal("まみむめも", Header(japanese, "Subject"));
        Assert.Equal("text/plain", japanese["payload"]!["mimeType"]!.GetValue<string>());
        var invitation = await FullAsync(world, byName["mime_emails/raw_email_encoded_stack_level_too_deep.eml"]);
        Assert.Equal("Nicolas Fouché has accepted your invitation to Gmail", Header(invitation, "Subject"));

        // Attachment names, including RFC 2231 continuations and non-ASCII ones, are the payload parts' filenames.
        var pdf = await FullAsync(world, byName["attachment_emails/attachment_pdf.eml"]);
        Assert.Contains("broken.pdf", Walk(pdf["payload"]!).Select(p => p["filename"]!.GetValue<string>()));
        var longName = await FullAsync(world, byName["multi_charset/japanese_attachment_long_name.eml"]);
        Assert.Contains(Walk(longName["payload"]!), p => p["filename"]!.GetValue<string>() is { Length: > 20 } f && f.EndsWith(".txt", StringComparison.Ordinal) && f.StartsWith("かきくけこ", StringComparison.Ordinal));
        var latin = await FullAsync(world, byName["attachment_emails/attachment_nonascii_filename.eml"]);
        Assert.Contains(Walk(latin["payload"]!), p => p["filename"]!.GetValue<string>().StartsWith("ci", StringComparison.Ordinal) && p["body"]!["attachmentId"] is not null);

        // A forwarded message is one attachment (message/rfc822) whose own parts show beneath it.
        var forwarded = await FullAsync(world, byName["attachment_emails/attachment_message_rfc822.eml"]);
        var rfc822 = Walk(forwarded["payload"]!).Single(p => p["mimeType"]!.GetValue<string>() == "message/rfc822");
        Assert.NotNull(rfc822["body"]!["attachmentId"]);
        Assert.Contains(Walk(rfc822), p => p["filename"]!.GetValue<string>() == "broken.pdf");

        // A date in year 3609 or a header line without a colon does not stop the message: it is listed and readable.
        var listed = Ids(await world.GetAsync("gmail/v1/users/me/messages?maxResults=500"));
        Assert.Contains(byName["plain_emails/raw_email_bad_time.eml"], listed);
        var incorrect = await FullAsync(world, byName["plain_emails/raw_email_incorrect_header.eml"]);
        Assert.Contains("adware", Header(incorrect, "Subject"), StringComparison.Ordinal);
        Assert.Contains("You are infected", Encoding.UTF8.GetString(FromBase64Url(incorrect["payload"]!["body"]!["data"]!.GetValue<string>())), StringComparison.Ordinal);

        // Search finds the suite's messages by their Message-ID, as an importer's dedupe would.
        var byMessageId = await world.GetAsync("gmail/v1/users/me/messages?q=" + Uri.EscapeDataString("rfc822msgid:<89d7557c0506280102495d555f@mail.gmail.com>"));
        Assert.Equal([byName["mime_emails/raw_email_encoded_stack_level_too_deep.eml"]], Ids(byMessageId));
    }

    private static async Task<JsonNode> FullAsync(GmailSandboxWorld world, string id) =>
        (await world.GetAsync($"gmail/v1/users/me/messages/{id}?format=full")).Body;

    private static string Header(JsonNode message, string name) =>
        message["payload"]!["headers"]!.AsArray().First(h => string.Equals(h!["name"]!.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase))!["value"]!.GetValue<string>();

    private static List<string> Names(JsonNode? headers) => [.. headers!.AsArray().Select(h => h!["name"]!.GetValue<string>())];

    private static IEnumerable<JsonNode> Walk(JsonNode part)
    {
        yield return part;
        foreach (var child in part["parts"]?.AsArray() ?? [])
        {
            foreach (var descendant in Walk(child!))
            {
                yield return descendant;
            }
        }
    }
}
