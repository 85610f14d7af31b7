using System.Collections.Concurrent;
using CreatioGoogle.LocalHost.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Tests.LocalHost;

/// <summary>A local function host on 127.0.0.1 with a free port, its log kept in memory, for one test.</summary>
internal sealed class RunningHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RunningHost(WebApplication app, Uri address, LogSink log)
    {
        _app = app;
        Log = log;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = address };
    }

    public HttpClient Client { get; }

    public LogSink Log { get; }

    public IServiceProvider Services => _app.Services;

    public static WebApplicationBuilder CreateBuilder(IDictionary<string, string?>? settings, LogSink log)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Development",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(log);
        return builder;
    }

    public static async Task<RunningHost> StartAsync(
        Type functions,
        FunctionHostSettings? hostSettings = null,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var log = new LogSink();
        var builder = CreateBuilder(settings, log);
        var app = LocalFunctionHost.Build(builder, FunctionCatalog.FromTypes(functions),
            hostSettings ?? new FunctionHostSettings { RoutePrefix = "" }, services);
        await app.StartAsync();
        // Port 0: Kestrel reports the port it was given in the server addresses after start.
        return new RunningHost(app, new Uri(app.Urls.Single()), log);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Keeps log lines (with exception text) so tests can assert what was logged.</summary>
internal sealed class LogSink : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class SinkLogger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
