using System.Diagnostics;
using System.Net;
using System.Text;
using CreatioGoogle.Sandbox.Google.Gmail;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using static CreatioGoogle.Tests.Sandbox.GmailSandboxWorld;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>The sandbox Gmail's limits over raw HTTP: batch, per-user quota, injected faults, latency, a disabled API.</summary>
public sealed class SandboxGmailLimitsTests
{
    [Fact]
    public async Task Batch_answers_each_part_like_its_own_call_echoes_content_ids_and_charges_each_part()
    {
        await using var world = await StartAsync();
        var a = world.Gmail.Deliver(Alice, Mail("first")).Id;
        var b = world.Gmail.Deliver(Alice, Mail("second")).Id;
        world.Gmail.ResetCounters();

        var parts = await world.BatchAsync(
            ("get-a", $"GET /gmail/v1/users/me/messages/{a}?format=minimal"),
            (null, $"GET /gmail/v1/users/me/messages/{b}?format=raw"),
            ("missing", "GET /gmail/v1/users/me/messages/18c0ffee00000000"),
            ("history", $"GET /gmail/v1/users/me/history?startHistoryId={world.Gmail.HistoryId(Alice)}"));

        Assert.Equal(["response-get-a", null, "response-missing", "response-history"], parts.Select(p => p.ContentId));
        Assert.Equal([200, 200, 404, 200], parts.Select(p => p.Status));
        Assert.Equal(a, parts[0].Json!["id"]!.GetValue<string>());
        Assert.NotNull(parts[1].Json!["raw"]);
        Assert.Equal("notFound", parts[2].Json!["error"]!["errors"]![0]!["reason"]!.GetValue<string>());

        // Three messages.get (5 units each, the 404 too) and one history.list (2): a batch saves round trips, not quota.
        Assert.Equal(3, world.Gmail.CallCount("users.messages.get"));
        Assert.Equal((3 * 5) + 2, world.Gmail.UnitsUsed(Alice));
    }

    [Fact]
    public async Task Batch_of_more_than_100_parts_is_refused_whole_and_costs_nothing()
    {
        await using var world = await StartAsync();
        var id = world.Gmail.Deliver(Alice, Mail("one")).Id;
        world.Gmail.ResetCounters();

        var hundred = await world.BatchAsync([.. Enumerable.Range(0, 100).Select(i => ((string?)$"p{i}", $"GET /gmail/v1/users/me/messages/{id}?format=minimal"))]);
        Assert.Equal(100, hundred.Count);
        Assert.All(hundred, p => Assert.Equal(200, p.Status));
        world.Gmail.ResetCounters();

        var answer = await world.PostBatchAsync([.. Enumerable.Range(0, 101).Select(i => ((string?)$"p{i}", $"GET /gmail/v1/users/me/messages/{id}?format=minimal"))]);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("Received: 101, Limit: 100", answer.Text, StringComparison.Ordinal);
        Assert.Equal(0, world.Gmail.TotalCalls);
        Assert.Equal(0, world.Gmail.UnitsUsed(Alice));
    }

    [Fact]
    public async Task Batch_parts_carry_the_outer_authorization_and_fail_alone_without_one()
    {
        await using var world = await StartAsync();

        var parts = await world.BatchAsync(token: string.Empty, parts: [("p", "GET /gmail/v1/users/me/profile")]);

        Assert.Equal(401, Assert.Single(parts).Status);
    }

    [Fact]
    public async Task Over_the_per_user_quota_calls_get_429_rate_limit_exceeded_until_the_minute_has_passed()
    {
        await using var world = await StartAsync();
        var id = world.Gmail.Deliver(Alice, Mail("hot")).Id;
        world.Gmail.ResetCounters();

        // 15,000 units per user per minute, as at Google: 30 batches of 100 messages.get (5 units each).
        for (var i = 0; i < 30; i++)
        {
            var parts = await world.BatchAsync([.. Enumerable.Range(0, 100).Select(_ => ((string?)null, $"GET /gmail/v1/users/me/messages/{id}?format=minimal"))]);
            Assert.All(parts, p => Assert.Equal(200, p.Status));
        }

        var over = await world.GetAsync("gmail/v1/users/me/profile");
        var bobMeanwhile = await world.GetAsync("gmail/v1/users/me/profile", world.TokenFor(Bob, Readonly));

        Assert.Equal((HttpStatusCode)429, over.Status);
        Assert.Equal("rateLimitExceeded", over.Reason);
        Assert.Equal("RESOURCE_EXHAUSTED", over.Body["error"]!["status"]!.GetValue<string>());
        Assert.NotNull(over.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, bobMeanwhile.Status);
        Assert.Equal(15_000, world.Gmail.UnitsUsed(Alice));
        Assert.Equal(15_000, world.Gmail.UnitsInCurrentMinute(Alice));

        world.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await world.GetAsync("gmail/v1/users/me/profile")).Status);
        Assert.Equal(15_001, world.Gmail.UnitsUsed(Alice));
        Assert.Equal(1, world.Gmail.UnitsInCurrentMinute(Alice));
    }

    [Fact]
    public async Task Quota_can_answer_403_user_rate_limit_exceeded_as_older_gmail_paths_do()
    {
        await using var world = await StartAsync();
        world.Gmail.QuotaUnitsPerUserPerMinute = 10;
        world.Gmail.QuotaExceededStatusCode = 403;

        var answers = new List<GmailSandboxWorld.Answer>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await world.GetAsync("gmail/v1/users/me/history?startHistoryId=" + world.Gmail.HistoryId(Alice)));
        }

        Assert.All(answers.Take(5), a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal(HttpStatusCode.Forbidden, answers[5].Status);
        Assert.Equal("userRateLimitExceeded", answers[5].Reason);
        Assert.Equal(10, world.Gmail.UnitsUsed(Alice));
    }

    [Fact]
    public async Task Injected_failures_hit_the_next_calls_of_one_method_in_gmails_error_shapes_then_stop()
    {
        await using var world = await StartAsync();
        world.Gmail.InjectFailures(2, 503, TimeSpan.FromSeconds(7), method: "users.messages.list");

        var first = await world.GetAsync("gmail/v1/users/me/messages");
        var profile = await world.GetAsync("gmail/v1/users/me/profile");
        var second = await world.GetAsync("gmail/v1/users/me/messages");
        var third = await world.GetAsync("gmail/v1/users/me/messages");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.Status);
        Assert.Equal("backendError", first.Reason);
        Assert.Equal(TimeSpan.FromSeconds(7), first.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, profile.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Status);
        Assert.Equal(HttpStatusCode.OK, third.Status);
        Assert.Equal(3, world.Gmail.CallCount("users.messages.list"));

        world.Gmail.InjectFailures(1, 500);
        Assert.Equal(HttpStatusCode.InternalServerError, (await world.GetAsync("gmail/v1/users/me/profile")).Status);
        world.Gmail.InjectFailures(1, 429);
        Assert.Equal("rateLimitExceeded", (await world.GetAsync("gmail/v1/users/me/labels")).Reason);
        world.Gmail.InjectFailures(1, 403);
        Assert.Equal("userRateLimitExceeded", (await world.GetAsync("gmail/v1/users/me/labels")).Reason);
        Assert.Equal(HttpStatusCode.OK, (await world.GetAsync("gmail/v1/users/me/labels")).Status);
    }

    [Fact]
    public async Task A_project_without_the_gmail_api_gets_403_access_not_configured_on_every_call()
    {
        await using var world = await StartAsync();
        world.Gmail.ProjectNumber = "424242424242";
        world.Gmail.ApiEnabled = false;

        var answer = await world.GetAsync("gmail/v1/users/me/profile");
        var inBatch = await world.BatchAsync(("p", "GET /gmail/v1/users/me/labels"));

        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        Assert.Equal("accessNotConfigured", answer.Reason);
        var error = answer.Body["error"]!;
        Assert.Equal("usageLimits", error["errors"]![0]!["domain"]!.GetValue<string>());
        Assert.Equal("PERMISSION_DENIED", error["status"]!.GetValue<string>());
        Assert.Contains("Gmail API has not been used in project 424242424242 before or it is disabled", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("SERVICE_DISABLED", error["details"]![0]!["reason"]!.GetValue<string>());
        Assert.Equal(403, Assert.Single(inBatch).Status);
        Assert.Equal(0, world.Gmail.UnitsUsed(Alice));

        world.Gmail.ApiEnabled = true;
        Assert.Equal(HttpStatusCode.OK, (await world.GetAsync("gmail/v1/users/me/profile")).Status);
    }

    [Fact]
    public async Task Latency_delays_each_request_once_and_a_batch_about_as_much_as_one_call()
    {
        await using var world = await StartAsync();
        var id = world.Gmail.Deliver(Alice, Mail("slow")).Id;
        world.Gmail.Latency = TimeSpan.FromMilliseconds(300);

        var single = Stopwatch.StartNew();
        await world.GetAsync($"gmail/v1/users/me/messages/{id}");
        single.Stop();
        var batch = Stopwatch.StartNew();
        var parts = await world.BatchAsync([.. Enumerable.Range(0, 10).Select(_ => ((string?)null, $"GET /gmail/v1/users/me/messages/{id}"))]);
        batch.Stop();

        Assert.True(single.Elapsed >= TimeSpan.FromMilliseconds(290), $"a call took {single.Elapsed}");
        Assert.Equal(10, parts.Count);
        Assert.True(batch.Elapsed >= TimeSpan.FromMilliseconds(290), $"a batch took {batch.Elapsed}");
        Assert.True(batch.Elapsed < TimeSpan.FromMilliseconds(290 * 10), $"a batch of 10 took {batch.Elapsed}: parts are served side by side");
    }
}

/// <summary>Google's batch protocol from the client side: build the multipart/mixed body, read the answer's parts.</summary>
internal static class GmailBatchClient
{
    public sealed record Part(string? ContentId, int Status, string Body)
    {
        public System.Text.Json.Nodes.JsonNode? Json => Body.Length == 0 ? null : System.Text.Json.Nodes.JsonNode.Parse(Body);
    }

    public static Task<List<Part>> BatchAsync(this GmailSandboxWorld world, params (string? ContentId, string RequestLine)[] parts) =>
        world.BatchAsync(null, parts);

    public static async Task<List<Part>> BatchAsync(this GmailSandboxWorld world, string? token, params (string? ContentId, string RequestLine)[] parts)
    {
        var answer = await world.PostBatchAsync(parts, token);
        Assert.True(answer.Status == HttpStatusCode.OK, $"batch answered {(int)answer.Status}: {answer.Text}");
        return await ReadAsync(answer);
    }

    public static Task<GmailSandboxWorld.Answer> PostBatchAsync(this GmailSandboxWorld world, (string? ContentId, string RequestLine)[] parts, string? token = null)
    {
        const string boundary = "batch_sandbox_test";
        var body = new StringBuilder();
        foreach (var (contentId, requestLine) in parts)
        {
            body.Append("--").Append(boundary).Append("\r\nContent-Type: application/http\r\n");
            if (contentId is not null)
            {
                body.Append("Content-ID: <").Append(contentId).Append(">\r\n");
            }

            body.Append("\r\n").Append(requestLine).Append("\r\n\r\n");
        }

        body.Append("--").Append(boundary).Append("--\r\n");
        var content = new StringContent(body.ToString(), Encoding.ASCII);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse($"multipart/mixed; boundary={boundary}");
        return world.SendAsync(HttpMethod.Post, "batch/gmail/v1", content, token);
    }

    private static async Task<List<Part>> ReadAsync(GmailSandboxWorld.Answer answer)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(answer.ContentType).Boundary).Value!;
        var reader = new MultipartReader(boundary, new MemoryStream(Encoding.UTF8.GetBytes(answer.Text)));
        var result = new List<Part>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var http = await new StreamReader(section.Body).ReadToEndAsync();
            var statusLine = http[..http.IndexOf("\r\n", StringComparison.Ordinal)];
            var bodyStart = http.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            var contentId = section.Headers!.TryGetValue("Content-ID", out var id) ? id.ToString().Trim('<', '>') : null;
            result.Add(new Part(contentId, int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), bodyStart < 0 ? string.Empty : http[(bodyStart + 4)..].Trim()));
        }

        return result;
    }
}
