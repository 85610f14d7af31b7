using System.Collections.Immutable;
using System.Text.Json;
using CreatioGoogle.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CreatioGoogle.Tests.Functions;

/// <summary>
/// The Functions worker's middleware answers a function's exception with the broker's own answer, as the local host
/// does, instead of the Functions host's bare 500. Its FunctionContext is built here the way the ASP.NET Core
/// integration leaves it (the HttpContext under "HttpRequestContext").
/// </summary>
public sealed class BrokerHttpMiddlewareTests
{
    private const string SecretInException = "sbx-rt-do-not-show";

    [Fact]
    public async Task An_api_function_that_throws_answers_a_500_problem_without_the_exception_text()
    {
        var (context, http) = HttpInvocation("/api/connections");

        await Middleware().Invoke(context, _ => throw new InvalidOperationException(SecretInException));

        var body = await BodyOf(http);
        Assert.Equal(500, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType, StringComparison.Ordinal);
        Assert.Equal(500, JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32());
        Assert.DoesNotContain(SecretInException, body, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_browser_route_that_throws_answers_a_plain_page()
    {
        var (context, http) = HttpInvocation("/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode");

        await Middleware().Invoke(context, _ => throw new InvalidOperationException(SecretInException));

        Assert.Equal(500, http.Response.StatusCode);
        Assert.StartsWith("text/html", http.Response.ContentType, StringComparison.Ordinal);
        Assert.DoesNotContain(SecretInException, await BodyOf(http), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_transport_limit_is_a_413_problem()
    {
        var (context, http) = HttpInvocation("/api/connections");

        await Middleware().Invoke(context, _ => throw new BadHttpRequestException("Request body too large.", 413));

        Assert.Equal(413, http.Response.StatusCode);
        Assert.StartsWith("application/problem+json", http.Response.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Storage_down_is_a_503_with_retry_after()
    {
        var (context, http) = HttpInvocation("/api/connections");

        await Middleware().Invoke(context, _ => throw new Azure.RequestFailedException(503, "Server busy"));

        Assert.Equal(503, http.Response.StatusCode);
        Assert.Equal("30", http.Response.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task A_queue_function_that_throws_still_throws_so_the_queue_retries_it()
    {
        var context = new TestFunctionContext();

        await Assert.ThrowsAsync<InvalidOperationException>(() => Middleware().Invoke(context, _ => throw new InvalidOperationException("retry me")));
    }

    [Fact]
    public async Task The_request_line_shows_the_status_written_after_the_middleware_returned_and_no_code_or_state()
    {
        var (context, http) = HttpInvocation("/0/rest/GoogleOAuthAuthenticator/ProcessAuthenticationCode");
        http.Request.Method = "GET";
        http.Request.QueryString = new QueryString("?code=4%2F0secret-code&state=secret-state");
        var response = new CompletingResponseFeature();
        http.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>(response);
        var log = new LineLog();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(log));

        // The ASP.NET Core integration writes a function's IActionResult only after the worker middleware returned.
        await new BrokerHttpMiddleware(loggers).Invoke(context, _ => Task.CompletedTask);
        http.Response.StatusCode = 302;
        await response.CompleteAsync();

        var line = Assert.Single(log.Lines);
        Assert.Contains("answered 302", line, StringComparison.Ordinal);
        Assert.Contains("code=***&state=***", line, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", line, StringComparison.Ordinal);
    }

    private static BrokerHttpMiddleware Middleware() => new(NullLoggerFactory.Instance);

    /// <summary>A response that runs its OnCompleted callbacks when told, as Kestrel does once the response is sent.</summary>
    private sealed class CompletingResponseFeature : Microsoft.AspNetCore.Http.Features.HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _completed = [];

        public override void OnCompleted(Func<object, Task> callback, object state) => _completed.Add((callback, state));

        public async Task CompleteAsync()
        {
            foreach (var (callback, state) in _completed)
            {
                await callback(state);
            }
        }
    }

    private sealed class LineLog : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(LineLog sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                sink.Lines.Add(formatter(state, exception));
        }
    }

    private static (FunctionContext Context, HttpContext Http) HttpInvocation(string path)
    {
        var http = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddMvcCore().Services.BuildServiceProvider(),
        };
        http.Request.Method = "POST";
        http.Request.Path = path;
        http.Response.Body = new MemoryStream();
        var context = new TestFunctionContext();
        context.Items["HttpRequestContext"] = http;
        return (context, http);
    }

    private static async Task<string> BodyOf(HttpContext http)
    {
        http.Response.Body.Position = 0;
        return await new StreamReader(http.Response.Body).ReadToEndAsync();
    }

    private sealed class TestFunctionContext : FunctionContext
    {
        public override string InvocationId { get; } = Guid.NewGuid().ToString();
        public override string FunctionId { get; } = "test";
        public override TraceContext TraceContext => null!;
        public override BindingContext BindingContext => null!;
        public override RetryContext RetryContext => null!;
        public override IServiceProvider InstanceServices { get; set; } = new ServiceCollection().BuildServiceProvider();
        public override FunctionDefinition FunctionDefinition => null!;
        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
        public override IInvocationFeatures Features => null!;
        public override CancellationToken CancellationToken => CancellationToken.None;
    }
}
