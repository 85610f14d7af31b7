using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CreatioGoogle.Sandbox.Google;
using CreatioGoogle.Sandbox.Google.Gmail;
using Microsoft.Extensions.Time.Testing;

namespace CreatioGoogle.Tests.Sandbox;

/// <summary>
/// A sandbox Google on a fake clock and raw HTTP to its Gmail API, as a Gmail client would send it. Access tokens are
/// minted per scope set (no browser) and re-minted when the fake clock has outrun them.
/// </summary>
internal sealed class GmailSandboxWorld : IAsyncDisposable
{
    public const string Alice = "alice@example.com";
    public const string Bob = "bob@example.com";
    public const string ClientId = "123-gmail.apps.googleusercontent.com";
    public const string Readonly = "https://www.googleapis.com/auth/gmail.readonly";
    public const string Metadata = "https://www.googleapis.com/auth/gmail.metadata";
    public const string Modify = "https://www.googleapis.com/auth/gmail.modify";
    public const string FullMail = "https://mail.google.com/";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    private readonly Dictionary<string, (string Token, DateTimeOffset IssuedAt)> _tokens = new(StringComparer.Ordinal);

    private GmailSandboxWorld(SandboxGoogle google, FakeTimeProvider clock)
    {
        Google = google;
        Clock = clock;
    }

    public SandboxGoogle Google { get; }

    public SandboxGmail Gmail => Google.Gmail;

    public FakeTimeProvider Clock { get; }

    /// <summary>
    /// Starts the sandbox with its clock at <paramref name="now"/> (default 2025-03-01 09:00 UTC). Tests that check
    /// tokens with Google.Apis.Auth, which reads the real clock, start at the real time.
    /// </summary>
    public static async Task<GmailSandboxWorld> StartAsync(DateTimeOffset? now = null)
    {
        var clock = new FakeTimeProvider(now ?? new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var options = new SandboxGoogleOptions { Clock = clock };
        options.Clients.Add(new SandboxClient(ClientId, "gmail-client-secret", "http://127.0.0.1:7071/cb"));
        return new GmailSandboxWorld(await SandboxGoogle.StartAsync(options), clock);
    }

    /// <summary>A live access token of <paramref name="email"/> holding exactly <paramref name="scopes"/>.</summary>
    public string TokenFor(string email, params string[] scopes)
    {
        var key = email + "|" + string.Join(' ', scopes.Order(StringComparer.Ordinal));
        if (!_tokens.TryGetValue(key, out var entry) || Clock.GetUtcNow() - entry.IssuedAt > TimeSpan.FromMinutes(50))
        {
            entry = (Google.IssueGrantForTesting(ClientId, email, scopes).AccessToken, Clock.GetUtcNow());
            _tokens[key] = entry;
        }

        return entry.Token;
    }

    public Task<Answer> GetAsync(string pathAndQuery, string? token = null) => SendAsync(HttpMethod.Get, pathAndQuery, null, token);

    public Task<Answer> PostAsync(string pathAndQuery, JsonNode? body, string? token = null) =>
        SendAsync(HttpMethod.Post, pathAndQuery, body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), token);

    public async Task<Answer> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, string? token = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(Google.GmailBaseUrl, pathAndQuery)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? TokenFor(Alice, Readonly));
        using var response = await Http.SendAsync(request);
        return await Answer.ReadAsync(response);
    }

    /// <summary>A minimal RFC 822 message.</summary>
    public static byte[] Mail(string subject, string from = "carol@example.org", string to = Alice, string? messageId = null, string? inReplyTo = null,
        DateTimeOffset? date = null, string body = "Hello from the sandbox.")
    {
        var text = new StringBuilder()
            .Append("From: ").Append(from).Append("\r\n")
            .Append("To: ").Append(to).Append("\r\n")
            .Append("Subject: ").Append(subject).Append("\r\n")
            .Append("Date: ").Append((date ?? new DateTimeOffset(2025, 2, 28, 12, 0, 0, TimeSpan.Zero)).ToString("r", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Message-ID: <").Append(messageId ?? Guid.NewGuid().ToString("N") + "@example.org").Append(">\r\n");
        if (inReplyTo is not null)
        {
            text.Append("In-Reply-To: <").Append(inReplyTo).Append(">\r\n");
        }

        text.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n").Append(body).Append("\r\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public async ValueTask DisposeAsync() => await Google.DisposeAsync();

    /// <summary>An HTTP answer: status, headers, the body as JSON (or null) and as text.</summary>
    internal sealed record Answer(HttpStatusCode Status, HttpResponseHeaders Headers, string? ContentType, string Text, JsonNode? Json)
    {
        public JsonNode Body => Json ?? throw new InvalidOperationException($"No JSON body ({(int)Status}): {Text}");

        /// <summary>error.errors[0].reason of a Gmail error body.</summary>
        public string? Reason => Json?["error"]?["errors"]?[0]?["reason"]?.GetValue<string>();

        public static async Task<Answer> ReadAsync(HttpResponseMessage response)
        {
            var text = await response.Content.ReadAsStringAsync();
            JsonNode? json = null;
            if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
            {
                json = JsonNode.Parse(text);
            }

            return new Answer(response.StatusCode, response.Headers, response.Content.Headers.ContentType?.ToString(), text, json);
        }
    }
}
