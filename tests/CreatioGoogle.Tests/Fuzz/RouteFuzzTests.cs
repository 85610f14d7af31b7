using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using CreatioGoogle.Functions.Connect;
using CreatioGoogle.LocalHost.Hosting;
using CreatioGoogle.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Fuzz;

/// <summary>
/// A bounded fuzz of every route the local run serves: the functions' routes read from their attributes (as the local
/// host reads them, so a new function is fuzzed without touching this test) and the try page's. Bad ids, queries,
/// headers and bodies must each get a 4xx (or a working answer), never a 5xx, and no answer may show internals.
/// </summary>
public sealed class RouteFuzzTests
{
    private static readonly TimeSpan RandomPhase = TimeSpan.FromSeconds(4);

    private static readonly string[] LeakMarkers = ["Exception", "   at ", "System.", "Microsoft.", "Azure.", "CreatioGoogle.", "StackTrace"];

    private static readonly string[] RouteValues =
    [
        "0123456789abcdef0123456789abcdef", "a%2Fb", "%00", "%2E%2E", new('a', 300), "%F0%9F%98%80", "x%20y", "%27", "%25", "a%5Cb", "a%23b",
    ];

    private static readonly string[] Queries =
    [
        "", "?feature=mail", "?feature=%00", "?feature=" + new string('f', 3000), "?feature=a&feature=b", "?user=%00", "?user=abc",
        "?user=" + Guid.NewGuid(), "?refresh=maybe", "?refresh=true", "?connectionId=a%2Fb", "?connectionId=%00%2F", "?connectionId=",
        "?code=abc&state=" + new string('s', 5000), "?state=abc", "?code=" + new string('c', 5000) + "&state=abc", "?error=%3Cscript%3E&state=x",
        "?error=access_denied&state=x", "?Id=3b22f0ff-034a-48da-8758-a0660e5a26ff&code=a&state=b", "?Id=%00&code=a&state=b",
        "?status=%00%0d%0a", "?" + string.Concat(Enumerable.Repeat("a=1&", 300)), "?%00=%00", "?state=a&state=b&code=c&code=d",
    ];

    private static readonly (string? ContentType, byte[] Body)[] Bodies =
    [
        ("application/json", "{"u8.ToArray()),
        ("application/json", "null"u8.ToArray()),
        ("application/json", "[]"u8.ToArray()),
        ("application/json", "\"text\""u8.ToArray()),
        ("application/json", """{"features":[null]}"""u8.ToArray()),
        ("application/json", """{"creatioUserId":5,"features":"mail","returnUrl":[]}"""u8.ToArray()),
        ("application/json", """{"creatioUserId":null,"features":null,"returnUrl":null,"loginHint":null,"allowAccountSwitch":null}"""u8.ToArray()),
        ("application/json", Encoding.UTF8.GetBytes(new string('[', 2000) + new string(']', 2000))),
        ("application/json", Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', 20_000) + "\"}")),
        ("application/json", [0xff, 0xfe, 0x00, 0x7b]),
        ("application/json; charset=utf-16", "{}"u8.ToArray()),
        ("application/x-www-form-urlencoded", "user=%00&feature=%00&hint=%00"u8.ToArray()),
        ("application/x-www-form-urlencoded", "user=not-a-guid&feature=drive&feature=&hint=a%20b"u8.ToArray()),
        ("application/x-www-form-urlencoded", Encoding.UTF8.GetBytes("user=" + new string('u', 100_000))),
        ("multipart/form-data; boundary=x", "--x\r\nbroken"u8.ToArray()),
        ("text/plain", "hello"u8.ToArray()),
        (null, "{}"u8.ToArray()),
    ];

    private enum Credentials { Valid, None, WrongKey, TenantOnly, HugeTenant, PathTenant }

    [Fact]
    public async Task Every_route_answers_bad_input_with_a_4xx_and_no_internals()
    {
        await using var broker = await RunningBroker.StartAsync(demo: true);
        var connectionId = await ConnectDemoUserAsync(broker);
        var routes = Routes(broker);
        var failures = new List<string>();
        var count = 0;

        async Task ProbeAsync(Route route, string? routeValue, string query, (string? ContentType, byte[] Body)? body, Credentials credentials)
        {
            using var request = new HttpRequestMessage(new HttpMethod(route.Method), new Uri(broker.BaseUrl, route.Path(routeValue ?? connectionId) + query));
            AddCredentials(request, broker, credentials);
            // A fresh connection each time: a request the server rightly cut off must not take the next one down with it.
            request.Headers.ConnectionClose = true;
            if (body is { } b)
            {
                request.Content = new ByteArrayContent(b.Body);
                if (b.ContentType is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", b.ContentType);
                }
            }

            var what = $"{route.Method} {request.RequestUri!.PathAndQuery[..Math.Min(120, request.RequestUri.PathAndQuery.Length)]} " +
                       $"[{credentials}, {body?.ContentType ?? "no body"}]";
            Interlocked.Increment(ref count);
            HttpResponseMessage response;
            try
            {
                response = await broker.Browser.SendAsync(request);
            }
            catch (HttpRequestException e)
            {
                lock (failures) { failures.Add($"{what}: no answer ({e.InnerException?.Message ?? e.Message})"); }
                return;
            }

            using var _ = response;
            var text = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 500)
            {
                lock (failures) { failures.Add($"{what}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}"); }
            }
            else if (LeakMarkers.FirstOrDefault(m => text.Contains(m, StringComparison.Ordinal)) is { } leak)
            {
                lock (failures) { failures.Add($"{what}: answer shows '{leak}'"); }
            }
        }

        // Every route with every value of each kind, the others valid; the disconnect last, so the others meet a live connection.
        var cases = new List<Func<Task>>();
        foreach (var route in routes.OrderBy(r => r.Method == "DELETE"))
        {
            cases.AddRange(RouteValues.Where(_ => route.HasParameter).Select(v => (Func<Task>)(() => ProbeAsync(route, v, "", null, Credentials.Valid))));
            cases.AddRange(Queries.Select(q => (Func<Task>)(() => ProbeAsync(route, null, q, null, Credentials.Valid))));
            cases.AddRange(Bodies.Select(b => (Func<Task>)(() => ProbeAsync(route, null, "", b, Credentials.Valid))));
            cases.AddRange(Enum.GetValues<Credentials>().Select(c => (Func<Task>)(() => ProbeAsync(route, null, "", null, c))));
        }

        foreach (var batch in cases.Chunk(4))
        {
            await Task.WhenAll(batch.Select(c => c()));
        }

        // Then random combinations, for a few seconds (seeded: a failure can be replayed).
        var random = new Random(20240611);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < RandomPhase)
        {
            var route = routes[random.Next(routes.Count)];
            await ProbeAsync(route,
                random.Next(3) == 0 ? null : RouteValues[random.Next(RouteValues.Length)],
                Queries[random.Next(Queries.Length)],
                random.Next(3) == 0 ? null : Bodies[random.Next(Bodies.Length)],
                (Credentials)random.Next(Enum.GetValues<Credentials>().Length));
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} requests:\n" + string.Join("\n", failures.Take(25)));
    }

    [Theory]
    [InlineData("POST /api/connections HTTP/1.1\r\nHost: h\r\nX-Creatio-Tenant: demo\r\nX-Api-Key: {key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")]
    [InlineData("POST /api/connections HTTP/1.1\r\nHost: h\r\nX-Creatio-Tenant: demo\r\nX-Api-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"feat")]
    [InlineData("POST /local/connect HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nuser=\r\nnot-hex\r\n")]
    public async Task Malformed_request_bodies_are_a_4xx_not_a_500(string raw)
    {
        await using var broker = await RunningBroker.StartAsync(demo: true);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, broker.BaseUrl.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw.Replace("{key}", broker.ApiKey, StringComparison.Ordinal)));

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? "";
        var response = statusLine + "\n" + await ReadAvailableAsync(reader);

        Assert.StartsWith("HTTP/1.1 ", statusLine, StringComparison.Ordinal);
        var status = int.Parse(statusLine.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(status is >= 400 and < 500, response);
        Assert.DoesNotContain("Exception", response, StringComparison.Ordinal);
    }

    private static async Task<string> ReadAvailableAsync(StreamReader reader)
    {
        var buffer = new char[8192];
        try
        {
            var read = await reader.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            return new string(buffer, 0, read);
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            return "";
        }
    }

    private sealed record Route(string Method, string Template, bool HasParameter)
    {
        public string Path(string value) =>
            "/" + string.Join('/', RoutePatternFactory.Parse(Template).PathSegments.Select(s =>
                string.Concat(s.Parts.Select(p => p switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart => value,
                    RoutePatternSeparatorPart separator => separator.Content,
                    _ => "",
                }))));
    }

    /// <summary>The functions' routes from their attributes, and every other route the running app maps (the try page).</summary>
    private static List<Route> Routes(RunningBroker broker)
    {
        var functions = FunctionCatalog.FromAssembly(typeof(ConnectFunctions).Assembly).Http.ToList();
        Assert.NotEmpty(functions);
        var routes = functions.SelectMany(f => (f.Methods.Count == 0 ? ["GET", "POST"] : f.Methods)
                .Select(m => new Route(m, f.Route, RoutePatternFactory.Parse(f.Route).Parameters.Count > 0)))
            .ToList();

        var mapped = broker.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new Route(m, e.RoutePattern.RawText!.Trim('/'), e.RoutePattern.Parameters.Count > 0)))
            .ToList();
        // The local host serves every function route it read; the rest it maps are the try page's.
        Assert.All(routes, r => Assert.Contains(mapped, m => m.Method == r.Method && m.Template == r.Template));
        routes.AddRange(mapped.Where(m => !routes.Contains(m)));
        Assert.Contains(routes, r => r.Template == "local/connect");
        return routes;
    }

    private static void AddCredentials(HttpRequestMessage request, RunningBroker broker, Credentials credentials)
    {
        var (tenant, key) = credentials switch
        {
            Credentials.Valid => (broker.TenantId, broker.ApiKey),
            Credentials.WrongKey => (broker.TenantId, "wrong"),
            Credentials.TenantOnly => (broker.TenantId, null),
            Credentials.HugeTenant => (new string('t', 4000), broker.ApiKey),
            Credentials.PathTenant => ("../demo", broker.ApiKey),
            _ => ((string?)null, (string?)null),
        };
        if (tenant is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Creatio-Tenant", tenant);
        }

        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        }
    }

    private static async Task<string> ConnectDemoUserAsync(RunningBroker broker)
    {
        var (connectionId, authorizationUrl) = await broker.CreateConnectionAsync(new
        {
            creatioUserId = broker.Environment.DemoCreatioUserId.ToString(),
            features = new[] { "mail", "contacts" },
            returnUrl = new Uri(broker.BaseUrl, "/local/connected").ToString(),
        });
        var redirect = await GoogleConsent.DecideAsync(broker.Browser, authorizationUrl, "alice@example.com");
        using var callback = await broker.Browser.GetAsync(redirect);
        Assert.Equal(HttpStatusCode.Redirect, callback.StatusCode);
        return connectionId;
    }
}
