using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using FunctionsFromBody = Microsoft.Azure.Functions.Worker.Http.FromBodyAttribute;

namespace CreatioGoogle.Tests.LocalHost;

public sealed record NewItem(string Name, int Quantity);

/// <summary>Records what the HTTP test functions saw; registered per host, injected into the function class.</summary>
public sealed class HttpProbe
{
    public int Pings;
    public string? LoggerCategory;
    public bool SawHttpContext;
}

/// <summary>Test-only functions, declared exactly as the Functions app declares its own.</summary>
public sealed class HttpTestFunctions(HttpProbe probe)
{
    public const string SecretInException = "refresh-token-9f3c";

    [Function("GetPart")]
    public IActionResult GetPart(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "items/{id}/parts/{number}")] HttpRequest request,
        Guid id, int number, FunctionContext context)
        => new OkObjectResult(new { id, number, function = context.FunctionDefinition.Name, q = request.Query["q"].ToString() });

    [Function("CreateItem")]
    public async Task<IActionResult> CreateItem(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "items")] HttpRequest request,
        [FunctionsFromBody] NewItem item, CancellationToken cancellationToken)
    {
        await Task.Delay(1, cancellationToken);
        return new ObjectResult(item with { Quantity = item.Quantity + 1 }) { StatusCode = StatusCodes.Status201Created };
    }

    [Function("Files")]
    public IActionResult Files([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "files/{*path}")] HttpRequest request, string path)
        => new ContentResult { Content = "path=" + path, ContentType = "text/plain", StatusCode = 200 };

    [Function("GoElsewhere")]
    public IActionResult GoElsewhere([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "0/ViewPage.aspx")] HttpRequest request)
        => new RedirectResult("https://creatio.example/return?state=" + request.Query["Id"]);

    [Function("Conflict")]
    public IActionResult Conflict([HttpTrigger(AuthorizationLevel.Function, "put", Route = "conflict")] HttpRequest request)
        => new ObjectResult(new ProblemDetails { Status = 409, Title = "Already connected" }) { StatusCode = 409 };

    [Function("Fails")]
    public Task<IActionResult> Fails([HttpTrigger(AuthorizationLevel.Function, "get", Route = "fails")] HttpRequest request)
        => throw new InvalidOperationException("token " + SecretInException + " rejected");

    // No Route: reached at the function's name, as in Functions. Any method.
    [Function("Ping")]
    public Task Ping([HttpTrigger(AuthorizationLevel.Anonymous)] HttpRequest request, FunctionContext context)
    {
        Interlocked.Increment(ref probe.Pings);
        var logger = context.GetLogger("Pinger");
        logger.LogInformation("pinged");
        probe.LoggerCategory = "Pinger";
        probe.SawHttpContext = context.GetHttpContext() == request.HttpContext;
        return Task.CompletedTask;
    }
}

/// <summary>A function with a parameter no binding fills: the host must refuse to start.</summary>
public sealed class UnbindableFunctions
{
    [Function("Unbindable")]
    public IActionResult Run([HttpTrigger(AuthorizationLevel.Function, "get", Route = "x/{id}")] HttpRequest request, string id, string notBound)
        => new OkResult();
}
