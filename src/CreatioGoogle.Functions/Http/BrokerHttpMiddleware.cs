using CreatioGoogle.Broker.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Logging;

namespace CreatioGoogle.Functions.Http;

/// <summary>
/// The broker's HTTP pipeline in the Functions worker: an exception a function throws becomes the broker's problem
/// body or plain page (not the host's bare 500), and each request is logged without its query's secrets. The local
/// host runs the same <see cref="RequestPipeline"/>. Other triggers pass through untouched, so a failing queue job
/// still throws and is retried.
/// </summary>
internal sealed class BrokerHttpMiddleware(ILoggerFactory loggers) : IFunctionsWorkerMiddleware
{
    private readonly ILogger _logger = loggers.CreateLogger(RequestPipeline.LogCategory);

    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next) =>
        context.GetHttpContext() is { } http
            ? RequestPipeline.InvokeAsync(http, () => next(context), _logger)
            : next(context);
}
