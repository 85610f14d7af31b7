using Microsoft.AspNetCore.Mvc;

namespace CreatioGoogle.Broker.Http;

/// <summary>RFC 7807 problem answers for API callers (Creatio), made in one place.</summary>
public static class ApiProblem
{
    public const string ContentType = "application/problem+json";

    public static IActionResult Create(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypeFor(status) };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions)
            {
                problem.Extensions[key] = value;
            }
        }

        return Result(problem);
    }

    public static IActionResult Validation(IDictionary<string, string[]> errors) =>
        Result(new ValidationProblemDetails(errors)
        {
            Status = 400,
            Title = "The request is not valid.",
            Detail = "See 'errors' for what to correct.",
            Type = TypeFor(400),
        });

    public static IActionResult Unauthorized() => Create(401, "Not authenticated.",
        "Send your tenant id in the X-Creatio-Tenant header and its API key in the X-Api-Key header.");

    public static IActionResult NotFound(string what) => Create(404, "Not found.", $"There is no {what} with this id for your tenant.");

    private static ObjectResult Result(ProblemDetails problem) => new(problem)
    {
        StatusCode = problem.Status,
        ContentTypes = { ContentType },
    };

    private static string TypeFor(int status) => $"https://httpstatuses.io/{status}";
}
