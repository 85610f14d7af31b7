using System.Text.Json;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Broker.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.Infrastructure;

/// <summary>What Creatio would receive: status, headers and the JSON body as written by MVC's own executors.</summary>
public sealed record ApiResponse(int Status, IHeaderDictionary Headers, string? ContentType, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// Runs an API method the way the Functions host does: an HttpRequest in, the IActionResult executed into the
/// response. The Kestrel hosting is another piece's job; this checks what the broker writes.
/// </summary>
public static class ApiCall
{
    // Only what executing ObjectResult/NoContentResult needs (formatters, executors).
    private static readonly Lazy<IServiceProvider> Mvc = new(() =>
        new ServiceCollection().AddLogging().AddMvcCore().Services.BuildServiceProvider());

    public static Task<ApiResponse> InvokeAsync(ConnectionsApi api, Func<ConnectionsApi, HttpRequest, Task<IActionResult>> call,
        string method, string? query, string tenant, string apiKey) =>
        InvokeAsync(request => call(api, request), method, query, tenant, apiKey);

    public static async Task<ApiResponse> InvokeAsync(Func<HttpRequest, Task<IActionResult>> call,
        string method, string? query, string tenant, string apiKey)
    {
        var context = new DefaultHttpContext { RequestServices = Mvc.Value };
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("broker.test");
        context.Request.QueryString = query is null ? QueryString.Empty : new QueryString(query);
        context.Request.Headers[TenantAuthenticator.TenantHeader] = tenant;
        context.Request.Headers[TenantAuthenticator.ApiKeyHeader] = apiKey;
        context.Response.Body = new MemoryStream();

        var result = await call(context.Request);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return new ApiResponse(context.Response.StatusCode, context.Response.Headers, context.Response.ContentType, body);
    }
}
