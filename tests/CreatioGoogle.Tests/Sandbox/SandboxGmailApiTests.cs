using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Google.Gmail;
using static CreatioGoogle.Tests.Sandbox.GmailSandboxWorld;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>The sandbox Gmail API over raw HTTP: profile, history, messages, labels, the four formats, scopes.</summary>
public sealed class SandboxGmailApiTests
{
    [Fact]
    public async Task Profile_names_the_account_its_totals_and_current_history_id()
    {
        await using var world = await StartAsync();
        world.Gmail.Deliver(Alice, Mail("one"));
        world.Gmail.Deliver(Alice, Mail("Re: one"));
        world.Gmail.Deliver(Alice, Mail("two"));

        var profile = await world.GetAsync("gmail/v1/users/me/profile");
        var byAddress = await world.GetAsync("gmail/v1/users/alice@example.com/profile");

        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal(Alice, profile.Body["emailAddress"]!.GetValue<string>());
        Assert.Equal(3, profile.Body["messagesTotal"]!.GetValue<int>());
        Assert.Equal(3, profile.Body["threadsTotal"]!.GetValue<int>());
        Assert.Equal(world.Gmail.HistoryId(Alice).ToString(System.Globalization.CultureInfo.InvariantCulture), profile.Body["historyId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, byAddress.Status);
    }

    [Fact]
    public async Task Missing_or_unknown_tokens_get_401_and_another_users_mailbox_403()
    {
        await using var world = await StartAsync();

        var missing = await world.SendAsync(HttpMethod.Get, "gmail/v1/users/me/profile", null, token: string.Empty);
        var unknown = await world.GetAsync("gmail/v1/users/me/profile", token: "sbx-at-not-issued");
        var bobsMailbox = await world.GetAsync("gmail/v1/users/bob@example.com/profile");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.Status);
        Assert.Equal("required", missing.Reason);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Status);
        Assert.Equal("authError", unknown.Reason);
        Assert.Equal("UNAUTHENTICATED", unknown.Body["error"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, bobsMailbox.Status);
    }

    [Fact]
    public async Task Scopes_decide_which_methods_and_formats_a_token_may_use()
    {
        await using var world = await StartAsync();
        var id = world.Gmail.Deliver(Alice, Mail("scoped")).Id;
        var metadata = world.TokenFor(Alice, Metadata);
        var metadataAndReadonly = world.TokenFor(Alice, Metadata, Readonly);
        var readOnly = world.TokenFor(Alice, Readonly);
        var contactsOnly = world.TokenFor(Alice, "https://www.googleapis.com/auth/contacts");

        // gmail.metadata: headers and labels only, no bodies, no search, even beside a broader scope.
        Assert.Equal(HttpStatusCode.OK, (await world.GetAsync($"gmail/v1/users/me/messages/{id}?format=metadata", metadata)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.GetAsync($"gmail/v1/users/me/messages/{id}?format=full", metadata)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.GetAsync($"gmail/v1/users/me/messages/{id}?format=raw", metadata)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.GetAsync($"gmail/v1/users/me/messages/{id}", metadataAndReadonly)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.GetAsync("gmail/v1/users/me/messages?q=scoped", metadata)).Status);
        Assert.Equal(HttpStatusCode.OK, (await world.GetAsync("gmail/v1/users/me/messages", metadata)).Status);

        // gmail.readonly reads everything and changes nothing.
        Assert.Equal(HttpStatusCode.OK, (await world.GetAsync($"gmail/v1/users/me/messages/{id}?format=raw", readOnly)).Status);
        var modify = await world.PostAsync($"gmail/v1/users/me/messages/{id}/modify", new JsonObject { ["addLabelIds"] = new JsonArray("STARRED") }, readOnly);
        Assert.Equal(HttpStatusCode.Forbidden, modify.Status);
        Assert.Equal("insufficientPermissions", modify.Reason);
        Assert.Equal("ACCESS_TOKEN_SCOPE_INSUFFICIENT", modify.Body["error"]!["details"]![0]!["reason"]!.GetValue<string>());

        // Deleting for good needs https://mail.google.com/ itself; gmail.modify is not enough.
        Assert.Equal(HttpStatusCode.Forbidden, (await world.SendAsync(HttpMethod.Delete, $"gmail/v1/users/me/messages/{id}", null, world.TokenFor(Alice, Modify))).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await world.SendAsync(HttpMethod.Delete, $"gmail/v1/users/me/messages/{id}", null, world.TokenFor(Alice, FullMail))).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.GetAsync("gmail/v1/users/me/profile", contactsOnly)).Status);
    }

    [Fact]
    public async Task History_lists_each_change_after_the_start_id_with_only_message_ids()
    {
        await using var world = await StartAsync();
        var start = world.Gmail.HistoryId(Alice);
        var first = world.Gmail.Deliver(Alice, Mail("first"));
        var second = world.Gmail.Deliver(Alice, Mail("second"));
        world.Gmail.Modify(Alice, first.Id, add: [GmailLabels.Starred], remove: [GmailLabels.Unread]);
        world.Gmail.Trash(Alice, second.Id);
        world.Gmail.Delete(Alice, first.Id);

        var answer = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={start}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        var history = answer.Body["history"]!.AsArray();
        Assert.Equal(5, history.Count);
        var ids = history.Select(h => ulong.Parse(h!["id"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.True(ids[0] > start);
        Assert.Equal(first.Id, history[0]!["messagesAdded"]![0]!["message"]!["id"]!.GetValue<string>());
        Assert.Equal(["id", "threadId"], history[0]!["messagesAdded"]![0]!["message"]!.AsObject().Select(p => p.Key));
        Assert.Equal("STARRED", history[2]!["labelsAdded"]![0]!["labelIds"]![0]!.GetValue<string>());
        Assert.Equal("UNREAD", history[2]!["labelsRemoved"]![0]!["labelIds"]![0]!.GetValue<string>());

        // Trash is a label change, not a delete; a delete is messagesDeleted.
        Assert.Equal("TRASH", history[3]!["labelsAdded"]![0]!["labelIds"]![0]!.GetValue<string>());
        Assert.Null(history[3]!["messagesDeleted"]);
        Assert.Equal(first.Id, history[4]!["messagesDeleted"]![0]!["message"]!["id"]!.GetValue<string>());
        Assert.Equal(world.Gmail.HistoryId(Alice).ToString(System.Globalization.CultureInfo.InvariantCulture), answer.Body["historyId"]!.GetValue<string>());

        // Starting from the current id there is nothing, and no "history" field at all.
        var empty = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={world.Gmail.HistoryId(Alice)}");
        Assert.Null(empty.Body["history"]);
        Assert.NotNull(empty.Body["historyId"]);
    }

    [Fact]
    public async Task History_filters_by_type_and_label_and_pages_in_order()
    {
        await using var world = await StartAsync();
        var start = world.Gmail.HistoryId(Alice);
        var sent = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            sent.Add(world.Gmail.DeliverSent(Alice, Mail($"sent {i}", from: Alice, to: "dave@example.org")).Id);
            world.Gmail.Deliver(Alice, Mail($"received {i}"));
        }

        world.Gmail.Modify(Alice, sent[0], add: [GmailLabels.Starred]);

        var added = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={start}&historyTypes=messageAdded&labelId=SENT&maxResults=3");
        var seen = new List<string>();
        var page = added;
        var pages = 0;
        while (true)
        {
            pages++;
            foreach (var h in page.Body["history"]!.AsArray())
            {
                Assert.Null(h!["labelsAdded"]);
                seen.Add(h["messagesAdded"]![0]!["message"]!["id"]!.GetValue<string>());
            }

            if (page.Body["nextPageToken"]?.GetValue<string>() is not { } token)
            {
                break;
            }

            page = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={start}&historyTypes=messageAdded&labelId=SENT&maxResults=3&pageToken={token}");
        }

        Assert.Equal(sent, seen);
        Assert.Equal(3, pages);

        // A page token from one query is refused by another.
        var other = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={start}&pageToken={added.Body["nextPageToken"]!.GetValue<string>()}");
        Assert.Equal(HttpStatusCode.BadRequest, other.Status);

        var labels = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={start}&historyTypes=labelAdded");
        Assert.Equal(sent[0], Assert.Single(labels.Body["history"]!.AsArray())!["labelsAdded"]![0]!["message"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task History_start_ids_outside_what_is_kept_are_404_and_malformed_ones_400()
    {
        await using var world = await StartAsync();
        var start = world.Gmail.HistoryId(Alice);
        world.Gmail.Deliver(Alice, Mail("old"));

        Assert.Equal(HttpStatusCode.NotFound, (await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={world.Gmail.HistoryId(Alice) + 1000}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await world.GetAsync("gmail/v1/users/me/history?startHistoryId=0")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.GetAsync("gmail/v1/users/me/history?startHistoryId=abc")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.GetAsync("gmail/v1/users/me/history")).Status);

        // Eight days later the week-old history is gone: the stored start id now gets 404 notFound.
        world.Clock.Advance(TimeSpan.FromDays(8));
        world.Gmail.Deliver(Alice, Mail("new"));
        var stale = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={start}");
        Assert.Equal(HttpStatusCode.NotFound, stale.Status);
        Assert.Equal("notFound", stale.Reason);
    }

    [Fact]
    public async Task Expiring_history_early_makes_earlier_start_ids_404_while_the_profile_id_works()
    {
        await using var world = await StartAsync();
        var stored = world.Gmail.HistoryId(Alice);
        world.Gmail.Deliver(Alice, Mail("before the gap"));

        world.Gmail.ExpireHistory(Alice);
        var profileId = (await world.GetAsync("gmail/v1/users/me/profile")).Body["historyId"]!.GetValue<string>();
        world.Gmail.Deliver(Alice, Mail("after the gap"));

        Assert.Equal(HttpStatusCode.NotFound, (await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={stored}")).Status);
        var fromProfile = await world.GetAsync($"gmail/v1/users/me/history?startHistoryId={profileId}");
        Assert.Equal(HttpStatusCode.OK, fromProfile.Status);
        Assert.Single(fromProfile.Body["history"]!.AsArray());
    }

    [Fact]
    public async Task Messages_list_leaves_out_spam_and_trash_ands_label_ids_and_pages_newest_first()
    {
        await using var world = await StartAsync();
        var t0 = new DateTimeOffset(2025, 2, 1, 0, 0, 0, TimeSpan.Zero);
        var inbox = Enumerable.Range(0, 5).Select(i => world.Gmail.Deliver(Alice, Mail($"inbox {i}"), internalDate: t0.AddHours(i)).Id).ToList();
        var spam = world.Gmail.Deliver(Alice, Mail("spam"), [GmailLabels.Spam], t0.AddDays(1)).Id;
        world.Gmail.Trash(Alice, inbox[4]);
        world.Gmail.Modify(Alice, inbox[1], add: [GmailLabels.Starred]);

        var all = await world.GetAsync("gmail/v1/users/me/messages");
        var withSpam = await world.GetAsync("gmail/v1/users/me/messages?includeSpamTrash=true");
        var starredInbox = await world.GetAsync("gmail/v1/users/me/messages?labelIds=INBOX&labelIds=STARRED");
        var spamOnly = await world.GetAsync("gmail/v1/users/me/messages?labelIds=SPAM");
        var none = await world.GetAsync("gmail/v1/users/me/messages?labelIds=SENT");

        Assert.Equal([inbox[3], inbox[2], inbox[1], inbox[0]], Ids(all));
        Assert.Equal(4, all.Body["resultSizeEstimate"]!.GetValue<int>());
        Assert.Equal(["id", "threadId"], all.Body["messages"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(6, Ids(withSpam).Count);
        Assert.Equal([inbox[1]], Ids(starredInbox));
        Assert.Equal([spam], Ids(spamOnly));
        Assert.Null(none.Body["messages"]);
        Assert.Equal(0, none.Body["resultSizeEstimate"]!.GetValue<int>());

        var first = await world.GetAsync("gmail/v1/users/me/messages?maxResults=3");
        var second = await world.GetAsync($"gmail/v1/users/me/messages?maxResults=3&pageToken={first.Body["nextPageToken"]!.GetValue<string>()}");
        Assert.Equal(Ids(all), Ids(first).Concat(Ids(second)));
        Assert.Null(second.Body["nextPageToken"]);
    }

    [Fact]
    public async Task Messages_list_caps_pages_at_500_and_defaults_to_100()
    {
        await using var world = await StartAsync();
        for (var i = 0; i < 520; i++)
        {
            world.Gmail.Deliver(Alice, Mail($"bulk {i}"), internalDate: DateTimeOffset.UnixEpoch.AddDays(20000).AddMinutes(i));
        }

        Assert.Equal(100, Ids(await world.GetAsync("gmail/v1/users/me/messages")).Count);
        Assert.Equal(500, Ids(await world.GetAsync("gmail/v1/users/me/messages?maxResults=2000")).Count);
    }

    [Fact]
    public async Task Messages_list_q_bounds_a_window_by_date_and_finds_a_message_by_its_message_id()
    {
        await using var world = await StartAsync();
        var now = world.Clock.GetUtcNow();
        var old = world.Gmail.Deliver(Alice, Mail("old"), internalDate: now.AddDays(-40)).Id;
        var recent = world.Gmail.Deliver(Alice, Mail("recent", messageId: "abc.123@example.org"), internalDate: now.AddDays(-3)).Id;
        var today = world.Gmail.Deliver(Alice, Mail("today"), internalDate: now.AddHours(-1)).Id;
        var epoch = now.AddDays(-30).ToUnixTimeSeconds();

        Assert.Equal([today, recent], Ids(await world.GetAsync($"gmail/v1/users/me/messages?q=after:{epoch}")));
        Assert.Equal([old], Ids(await world.GetAsync($"gmail/v1/users/me/messages?q=before:{epoch}")));
        Assert.Equal([today, recent], Ids(await world.GetAsync("gmail/v1/users/me/messages?q=newer_than:30d")));
        Assert.Equal([recent], Ids(await world.GetAsync("gmail/v1/users/me/messages?q=" + Uri.EscapeDataString("rfc822msgid:<abc.123@example.org>"))));
        Assert.Equal([recent], Ids(await world.GetAsync("gmail/v1/users/me/messages?q=rfc822msgid:abc.123@example.org")));

        // A date means midnight Pacific time, not UTC: 2025/02/26 starts at 08:00 UTC.
        var boundary = world.Gmail.Deliver(Alice, Mail("boundary"), internalDate: new DateTimeOffset(2025, 2, 26, 7, 30, 0, TimeSpan.Zero)).Id;
        Assert.DoesNotContain(boundary, Ids(await world.GetAsync("gmail/v1/users/me/messages?q=after:2025/02/26")));
        Assert.Contains(boundary, Ids(await world.GetAsync("gmail/v1/users/me/messages?q=after:2025/02/25")));
        Assert.Equal(HttpStatusCode.BadRequest, (await world.GetAsync("gmail/v1/users/me/messages?q=after:yesterday")).Status);
    }

    [Fact]
    public async Task Message_formats_follow_gmails_rules()
    {
        await using var world = await StartAsync();
        var raw = Encoding.UTF8.GetBytes(
            "From: Carol <carol@example.org>\r\nTo: alice@example.com\r\nSubject: =?UTF-8?B?w5xiZXJzaWNodA==?=\r\nDate: Fri, 28 Feb 2025 12:00:00 +0000\r\n" +
            "Message-ID: <fmt@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b1\r\n\r\n" +
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTom & Jerry's plan\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Tom &amp; Jerry's plan</p>\r\n--b1--\r\n");
        var message = world.Gmail.Deliver(Alice, raw);

        var minimal = (await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}?format=minimal")).Body;
        var metadata = (await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}?format=metadata&metadataHeaders=subject&metadataHeaders=From")).Body;
        var full = (await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}?format=full&metadataHeaders=Subject")).Body;
        var defaultFormat = (await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}")).Body;
        var rawFormat = (await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}?format=raw")).Body;

        Assert.Equal(["id", "threadId", "labelIds", "snippet", "sizeEstimate", "historyId", "internalDate"], minimal.AsObject().Select(p => p.Key));
        Assert.Equal("Tom &amp; Jerry&#39;s plan", minimal["snippet"]!.GetValue<string>());
        Assert.Equal(["From", "Subject"], metadata["payload"]!["headers"]!.AsArray().Select(h => h!["name"]!.GetValue<string>()));
        Assert.Equal("Übersicht", metadata["payload"]!["headers"]![1]!["value"]!.GetValue<string>());
        Assert.Null(metadata["payload"]!["parts"]);

        // metadataHeaders does not narrow full: every header, and the parsed tree.
        var payload = full["payload"]!;
        Assert.Equal("multipart/alternative", payload["mimeType"]!.GetValue<string>());
        Assert.Equal(string.Empty, payload["partId"]!.GetValue<string>());
        Assert.True(payload["headers"]!.AsArray().Count >= 7);
        Assert.Equal(["0", "1"], payload["parts"]!.AsArray().Select(p => p!["partId"]!.GetValue<string>()));
        var html = payload["parts"]![1]!;
        Assert.Equal("text/html", html["mimeType"]!.GetValue<string>());
        Assert.Equal("<p>Tom &amp; Jerry's plan</p>", Encoding.UTF8.GetString(FromBase64Url(html["body"]!["data"]!.GetValue<string>())));
        Assert.Equal(html["body"]!["size"]!.GetValue<int>(), FromBase64Url(html["body"]!["data"]!.GetValue<string>()).Length);
        Assert.Null(full["raw"]);
        Assert.Equal(full["payload"]!.ToJsonString(), defaultFormat["payload"]!.ToJsonString());

        // raw: the bytes exactly as stored, base64url with padding, and no payload.
        Assert.Null(rawFormat["payload"]);
        var rawText = rawFormat["raw"]!.GetValue<string>();
        Assert.DoesNotContain('+', rawText);
        Assert.DoesNotContain('/', rawText);
        Assert.Equal(raw, FromBase64Url(rawText));
        Assert.Equal(raw.Length, rawFormat["sizeEstimate"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.BadRequest, (await world.GetAsync($"gmail/v1/users/me/messages/{message.Id}?format=html")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await world.GetAsync("gmail/v1/users/me/messages/18c0ffee00000000")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await world.GetAsync("gmail/v1/users/me/messages/not-an-id")).Status);
    }

    [Fact]
    public async Task Attachments_are_fetched_by_the_id_of_the_current_read_and_return_the_decoded_bytes()
    {
        await using var world = await StartAsync();
        var pdf = Enumerable.Range(0, 3000).Select(i => (byte)(i % 251)).ToArray();
        var raw = Encoding.ASCII.GetBytes(
            "From: carol@example.org\r\nTo: alice@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n" +
            "--zz\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n--zz\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n" +
            "Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String(pdf, Base64FormattingOptions.InsertLineBreaks) + "\r\n--zz--\r\n");
        var id = world.Gmail.Deliver(Alice, raw).Id;

        var read1 = (await world.GetAsync($"gmail/v1/users/me/messages/{id}")).Body["payload"]!["parts"]![1]!;
        var read2 = (await world.GetAsync($"gmail/v1/users/me/messages/{id}")).Body["payload"]!["parts"]![1]!;
        var attachmentId = read1["body"]!["attachmentId"]!.GetValue<string>();
        var attachment = await world.GetAsync($"gmail/v1/users/me/messages/{id}/attachments/{attachmentId}");

        Assert.Equal("report.pdf", read1["filename"]!.GetValue<string>());
        Assert.Equal(pdf.Length, read1["body"]!["size"]!.GetValue<int>());
        Assert.Null(read1["body"]!["data"]);
        Assert.NotEqual(attachmentId, read2["body"]!["attachmentId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, attachment.Status);
        Assert.Equal(pdf, FromBase64Url(attachment.Body["data"]!.GetValue<string>()));
        Assert.Equal(pdf.Length, attachment.Body["size"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, (await world.GetAsync($"gmail/v1/users/me/messages/{id}/attachments/ANGjdJbogus")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await world.GetAsync($"gmail/v1/users/me/messages/{id}/attachments/{attachmentId}", world.TokenFor(Alice, Metadata))).Status);
    }

    [Fact]
    public async Task Insert_and_import_store_raw_messages_through_the_api_and_cost_25_units_each()
    {
        await using var world = await StartAsync();
        var token = world.TokenFor(Alice, Modify);
        var raw = Mail("seeded", date: new DateTimeOffset(2024, 12, 24, 18, 0, 0, TimeSpan.Zero));
        world.Gmail.ResetCounters();

        var inserted = await world.PostAsync("gmail/v1/users/me/messages", new JsonObject { ["raw"] = Base64Url(raw), ["labelIds"] = new JsonArray("INBOX", "UNREAD") }, token);
        var imported = await world.SendAsync(HttpMethod.Post, "upload/gmail/v1/users/me/messages/import?uploadType=media", new ByteArrayContent(raw), token);
        var unlabelled = await world.PostAsync("gmail/v1/users/me/messages", new JsonObject { ["raw"] = Convert.ToBase64String(raw) }, token);
        var noRaw = await world.PostAsync("gmail/v1/users/me/messages", new JsonObject(), token);
        var badLabel = await world.PostAsync("gmail/v1/users/me/messages", new JsonObject { ["raw"] = Base64Url(raw), ["labelIds"] = new JsonArray("NOPE") }, token);

        Assert.Equal(HttpStatusCode.OK, inserted.Status);
        var stored = world.Gmail.Message(Alice, inserted.Body["id"]!.GetValue<string>())!;
        Assert.Equal(raw, stored.Raw.ToArray());
        Assert.Equal(["INBOX", "UNREAD"], stored.LabelIds);

        // insert dates the message when Gmail receives it; import by its Date header.
        Assert.Equal(world.Clock.GetUtcNow(), stored.InternalDate);
        Assert.Equal(new DateTimeOffset(2024, 12, 24, 18, 0, 0, TimeSpan.Zero), world.Gmail.Message(Alice, imported.Body["id"]!.GetValue<string>())!.InternalDate);

        // No labels given, none stored: the message has no labelIds field at all.
        Assert.Null(unlabelled.Body["labelIds"]);
        Assert.Equal(HttpStatusCode.BadRequest, noRaw.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badLabel.Status);
        Assert.Equal(25 * 5, world.Gmail.UnitsUsed(Alice));
        Assert.Equal(4, world.Gmail.CallCount("users.messages.insert"));
        Assert.Equal(1, world.Gmail.CallCount("users.messages.import"));
    }

    [Fact]
    public async Task Modify_trash_untrash_and_delete_change_the_mailbox_and_sent_cannot_be_relabelled()
    {
        await using var world = await StartAsync();
        var token = world.TokenFor(Alice, Modify);
        var message = world.Gmail.Deliver(Alice, Mail("act on me"));
        var sent = world.Gmail.DeliverSent(Alice, Mail("mine", from: Alice));

        var modified = await world.PostAsync($"gmail/v1/users/me/messages/{message.Id}/modify",
            new JsonObject { ["addLabelIds"] = new JsonArray("STARRED"), ["removeLabelIds"] = new JsonArray("UNREAD", "INBOX") }, token);
        var trashed = await world.PostAsync($"gmail/v1/users/me/messages/{message.Id}/trash", null, token);
        var untrashed = await world.PostAsync($"gmail/v1/users/me/messages/{message.Id}/untrash", null, token);
        var relabelSent = await world.PostAsync($"gmail/v1/users/me/messages/{sent.Id}/modify", new JsonObject { ["removeLabelIds"] = new JsonArray("SENT") }, token);
        var batch = await world.PostAsync("gmail/v1/users/me/messages/batchModify",
            new JsonObject { ["ids"] = new JsonArray(message.Id, sent.Id), ["addLabelIds"] = new JsonArray("IMPORTANT") }, token);

        Assert.Equal(["CATEGORY_PERSONAL", "STARRED"], modified.Body["labelIds"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Contains("TRASH", trashed.Body["labelIds"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.DoesNotContain("TRASH", untrashed.Body["labelIds"]!.AsArray().Select(l => l!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, relabelSent.Status);
        Assert.Equal(HttpStatusCode.NoContent, batch.Status);
        Assert.Contains(GmailLabels.Important, world.Gmail.Message(Alice, sent.Id)!.LabelIds);
        Assert.Equal(5 + 5 + 5 + 5 + 50, world.Gmail.UnitsUsed(Alice));
    }

    [Fact]
    public async Task Labels_list_has_the_system_and_user_labels_and_get_counts_their_messages()
    {
        await using var world = await StartAsync();
        var customers = world.Gmail.CreateLabel(Alice, "Customers");
        var m = world.Gmail.Deliver(Alice, Mail("tagged"));
        world.Gmail.Deliver(Alice, Mail("plain"));
        world.Gmail.Modify(Alice, m.Id, add: [customers]);

        var list = await world.GetAsync("gmail/v1/users/me/labels");
        var inbox = await world.GetAsync("gmail/v1/users/me/labels/INBOX");
        var user = await world.GetAsync($"gmail/v1/users/me/labels/{customers}");

        var ids = list.Body["labels"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()).ToList();
        Assert.Superset(new HashSet<string> { "INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS", customers }, ids.ToHashSet());
        Assert.Equal("user", list.Body["labels"]!.AsArray().Single(l => l!["id"]!.GetValue<string>() == customers)!["type"]!.GetValue<string>());
        Assert.Equal(2, inbox.Body["messagesTotal"]!.GetValue<int>());
        Assert.Equal(2, inbox.Body["messagesUnread"]!.GetValue<int>());
        Assert.Equal("Customers", user.Body["name"]!.GetValue<string>());
        Assert.Equal(1, user.Body["messagesTotal"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await world.GetAsync("gmail/v1/users/me/labels/Label_99")).Status);
    }

    [Fact]
    public async Task A_reply_joins_the_thread_it_references_when_the_subject_matches()
    {
        await using var world = await StartAsync();
        var original = world.Gmail.Deliver(Alice, Mail("Quarterly plan", messageId: "plan@example.org"));
        var reply = world.Gmail.DeliverSent(Alice, Mail("Re: Quarterly plan", from: Alice, inReplyTo: "plan@example.org"));
        var unrelated = world.Gmail.Deliver(Alice, Mail("Something else", inReplyTo: "plan@example.org"));

        Assert.Equal(original.Id, original.ThreadId);
        Assert.Equal(original.ThreadId, reply.ThreadId);
        Assert.NotEqual(original.ThreadId, unrelated.ThreadId);
        Assert.Equal(2, (await world.GetAsync("gmail/v1/users/me/profile")).Body["threadsTotal"]!.GetValue<int>());
    }

    [Fact]
    public async Task Local_run_levers_deliver_a_raw_message_over_http_and_print_calls_and_units()
    {
        await using var world = await StartAsync();
        using var http = new HttpClient { BaseAddress = world.Google.BaseUrl };
        var raw = Mail("from the lever", messageId: "lever@example.org");

        using var delivered = await http.PostAsync("_sandbox/gmail/deliver?email=alice@example.com&labels=INBOX", new ByteArrayContent(raw));
        using var unknown = await http.PostAsync("_sandbox/gmail/deliver?email=nobody@example.com", new ByteArrayContent(raw));
        using var empty = await http.PostAsync("_sandbox/gmail/deliver?email=alice@example.com", new ByteArrayContent([]));
        await world.GetAsync("gmail/v1/users/me/profile");
        var stats = await http.GetStringAsync("_sandbox/gmail/stats");

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        var message = Assert.Single(world.Gmail.Messages(Alice));
        Assert.Equal(raw, message.Raw.ToArray());
        Assert.Equal(["INBOX"], message.LabelIds);
        Assert.Equal("lever@example.org", message.MessageIdHeader);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("users.getProfile 1\n", stats, StringComparison.Ordinal);
        Assert.Contains("units alice@example.com 1\n", stats, StringComparison.Ordinal);
    }

    internal static List<string> Ids(Answer answer) =>
        answer.Body["messages"]?.AsArray().Select(m => m!["id"]!.GetValue<string>()).ToList() ?? [];

    internal static byte[] FromBase64Url(string value)
    {
        var s = value.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_').TrimEnd('=');
}
