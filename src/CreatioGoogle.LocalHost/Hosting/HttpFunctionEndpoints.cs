using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>Maps HTTP-triggered functions as ASP.NET Core endpoints, the way the ASP.NET Core integration binds them.</summary>
internal static class HttpFunctionEndpoints
{
    /// <summary>Prepares one function's binding; throws (naming the function) if a parameter cannot be bound.</summary>
    public static FunctionInvoker<HttpContext> CreateInvoker(HttpFunctionDescriptor function)
    {
        var routeParameters = RoutePatternFactory.Parse(function.Route).Parameters
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        return FunctionInvoker<HttpContext>.Create(function, parameter =>
        {
            var type = parameter.ParameterType;
            if (parameter.Member == function.Method && parameter.Position == function.TriggerParameter.Position)
            {
                return type == typeof(HttpRequest)
                    ? (http, _) => ValueTask.FromResult<object?>(http.Request)
                    : null; // HttpRequestData (the non-ASP.NET model) is not hosted locally.
            }

            if (type == typeof(HttpContext))
            {
                return (http, _) => ValueTask.FromResult<object?>(http);
            }

            if (parameter.GetCustomAttributes().Any(a => a.GetType().Name == "FromBodyAttribute"))
            {
                return (http, context) => ReadBodyAsync(http, type, context.CancellationToken);
            }

            if (parameter.Name is { } name && routeParameters.TryGetValue(name, out var routeParameter))
            {
                var convert = RouteValueConverter(type);
                return convert is null ? null : (http, _) => ValueTask.FromResult(convert(parameter, routeParameter.Name, http.Request.RouteValues[routeParameter.Name]));
            }

            return null;
        }, returnType => ReturnsResponseData(returnType)
            ? "returns HttpResponseData; the local host runs the ASP.NET Core integration model (return IActionResult)"
            : null);
    }

    private static bool ReturnsResponseData(Type returnType) =>
        returnType.Name == "HttpResponseData"
        || (returnType.IsGenericType && returnType.GetGenericArguments()[0].Name == "HttpResponseData");

    /// <summary>Maps each function at host.json's route prefix plus its route, for its methods (none: any).</summary>
    public static void Map(WebApplication app, IEnumerable<FunctionInvoker<HttpContext>> invokers, string routePrefix)
    {
        var prefix = routePrefix.Trim('/');
        foreach (var invoker in invokers)
        {
            var function = (HttpFunctionDescriptor)invoker.Function;
            var pattern = prefix.Length == 0 ? function.Route : $"{prefix}/{function.Route}";
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger($"Function.{function.Name}");
            RequestDelegate handler = http => HandleAsync(http, invoker, logger);
            var endpoint = function.Methods.Count == 0 ? app.Map(pattern, handler) : app.MapMethods(pattern, function.Methods, handler);
            endpoint.WithDisplayName(function.Name);
        }
    }

    private static async Task HandleAsync(HttpContext http, FunctionInvoker<HttpContext> invoker, ILogger logger)
    {
        var function = invoker.Function;
        var bindingData = http.Request.RouteValues.ToDictionary(v => v.Key, v => v.Value, StringComparer.OrdinalIgnoreCase);
        var context = new LocalFunctionContext(function, http.RequestServices, bindingData, http.RequestAborted);
        context.Items[LocalFunctionContext.HttpContextItemKey] = http;
        try
        {
            LogMessages.Executing(logger, function.Name, "This function was programmatically called via the host APIs.", context.InvocationId);
            var result = await invoker.InvokeAsync(http, context);
            await WriteResultAsync(http, result);
            LogMessages.Executed(logger, function.Name, context.InvocationId);
        }
        catch (FunctionBindingException e)
        {
            LogMessages.BindingFailed(logger, function.Name, context.InvocationId, e.Message);
            await WriteProblemAsync(http, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            LogMessages.Aborted(logger, function.Name, context.InvocationId);
        }
        catch (Exception e)
        {
            // As in Functions, the failure goes on up the middleware chain: an app's error mapping answers it, and
            // without one the host's last-resort handler (UseLastResortErrorAnswer) writes a bare problem.
            LogMessages.Failed(logger, e, function.Name, context.InvocationId);
            throw;
        }
    }

    /// <summary>
    /// The outermost middleware of the local host: an exception nothing else answered becomes a problem body without
    /// its text (the exception is for the log, never for the caller: it may name internals or secrets).
    /// </summary>
    public static void UseLastResortErrorAnswer(WebApplication app) =>
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                // The caller went away: nobody to answer.
            }
            catch (BadHttpRequestException e)
            {
                // Kestrel's verdict on the request itself (a body over the limit, malformed chunking).
                await WriteProblemAsync(http, e.StatusCode, "The request could not be read.");
            }
            catch (Exception)
            {
                await WriteProblemAsync(http, StatusCodes.Status500InternalServerError, "An error occurred while processing your request.");
            }
        });

    private static Task WriteResultAsync(HttpContext http, object? result) => result switch
    {
        null => Task.CompletedTask,
        IActionResult action => action.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor())),
        // Any other value is what the function wants written back: let MVC's formatters serialize it.
        _ => new ObjectResult(result).ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor())),
    };

    private static async Task WriteProblemAsync(HttpContext http, int status, string title)
    {
        if (http.Response.HasStarted)
        {
            // Half a response is already on the wire: the only honest signal left is to abort it.
            http.Abort();
            return;
        }

        http.Response.Clear();
        http.Response.StatusCode = status;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Type = status < 500
                ? "https://tools.ietf.org/html/rfc9110#section-15.5.1"
                : "https://tools.ietf.org/html/rfc9110#section-15.6.1",
            Extensions = { ["traceId"] = http.TraceIdentifier },
        };
        await http.Response.WriteAsJsonAsync(problem, JsonSerializerOptions.Web, "application/problem+json", CancellationToken.None);
    }

    private static async ValueTask<object?> ReadBodyAsync(HttpContext http, Type type, CancellationToken cancellationToken)
    {
        if (type == typeof(string))
        {
            using var reader = new StreamReader(http.Request.Body);
            return await reader.ReadToEndAsync(cancellationToken);
        }

        try
        {
            return await JsonSerializer.DeserializeAsync(http.Request.Body, type, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException)
        {
            throw new FunctionBindingException($"The request body is not valid JSON for {type.Name}.");
        }
    }

    /// <summary>Route values arrive as strings; convert the ones functions take (string, Guid, integers, bool).</summary>
    private static Func<ParameterInfo, string, object?, object?>? RouteValueConverter(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        Func<string, object?>? parse =
            target == typeof(string) ? s => s
            : target == typeof(Guid) ? s => Guid.TryParse(s, out var g) ? g : null
            : target == typeof(int) ? s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null
            : target == typeof(long) ? s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null
            : target == typeof(bool) ? s => bool.TryParse(s, out var b) ? b : null
            : null;
        if (parse is null)
        {
            return null;
        }

        return (parameter, name, value) =>
        {
            var text = value as string ?? Convert.ToString(value, CultureInfo.InvariantCulture);
            if (string.IsNullOrEmpty(text))
            {
                // An optional route value that is absent: the parameter's default, or null.
                return parameter.HasDefaultValue ? parameter.DefaultValue : null;
            }

            return parse(text) ?? throw new FunctionBindingException($"Route value '{name}' is not a valid {target.Name}.");
        };
    }
}
