using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Infrastructure;

/// <summary>Creatio's side of status callbacks: a Kestrel endpoint on 127.0.0.1 that records each POST.</summary>
public sealed class CallbackReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CallbackReceiver(WebApplication app) => _app = app;

    public sealed record Received(IReadOnlyDictionary<string, string> Headers, string Body);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>What the receiver answers; set 500 to play a Creatio that is down.</summary>
    public int StatusCode { get; set; } = 200;

    public Uri Url { get; private set; } = null!;

    public static async Task<CallbackReceiver> StartAsync()
    {
        var builder = CreatioGoogle.Sandbox.LoopbackHost.CreateBuilder(0);
        var app = builder.Build();
        var receiver = new CallbackReceiver(app);
        app.MapPost("/0/rest/GoogleBrokerStatus", async (HttpContext ctx) =>
        {
            var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
            receiver.Requests.Enqueue(new Received(ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
            ctx.Response.StatusCode = receiver.StatusCode;
        });
        await app.StartAsync();
        receiver.Url = new Uri(CreatioGoogle.Sandbox.LoopbackHost.BaseUrlOf(app), "0/rest/GoogleBrokerStatus");
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
