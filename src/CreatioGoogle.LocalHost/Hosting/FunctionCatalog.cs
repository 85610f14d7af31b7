using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>A function found by its <c>[Function]</c> attribute, classified by its trigger parameter.</summary>
public abstract record FunctionDescriptor(string Name, MethodInfo Method, ParameterInfo TriggerParameter)
{
    /// <summary>"Namespace.Class.Method", as Functions reports the entry point.</summary>
    public string EntryPoint => $"{Method.DeclaringType!.FullName}.{Method.Name}";
}

/// <summary>An HTTP trigger. <see cref="Methods"/> empty means any method; <see cref="Route"/> is without the host's prefix.</summary>
public sealed record HttpFunctionDescriptor(
    string Name, MethodInfo Method, ParameterInfo TriggerParameter,
    IReadOnlyList<string> Methods, string Route, AuthorizationLevel AuthorizationLevel)
    : FunctionDescriptor(Name, Method, TriggerParameter);

/// <summary>A timer trigger; <see cref="Schedule"/> is as declared, possibly a <c>%Setting%</c>.</summary>
public sealed record TimerFunctionDescriptor(
    string Name, MethodInfo Method, ParameterInfo TriggerParameter, string Schedule, bool RunOnStartup)
    : FunctionDescriptor(Name, Method, TriggerParameter);

/// <summary>A queue trigger; <see cref="QueueName"/> is as declared, possibly a <c>%Setting%</c>.</summary>
public sealed record QueueFunctionDescriptor(
    string Name, MethodInfo Method, ParameterInfo TriggerParameter, string QueueName, string? Connection)
    : FunctionDescriptor(Name, Method, TriggerParameter);

/// <summary>
/// The functions of an assembly, read from the same attributes the Functions SDK reads, so a route, schedule
/// or queue is declared once, on the function.
/// </summary>
public sealed class FunctionCatalog
{
    private FunctionCatalog(IReadOnlyList<FunctionDescriptor> functions) => Functions = functions;

    public IReadOnlyList<FunctionDescriptor> Functions { get; }

    public IEnumerable<HttpFunctionDescriptor> Http => Functions.OfType<HttpFunctionDescriptor>();
    public IEnumerable<TimerFunctionDescriptor> Timers => Functions.OfType<TimerFunctionDescriptor>();
    public IEnumerable<QueueFunctionDescriptor> Queues => Functions.OfType<QueueFunctionDescriptor>();

    /// <summary>Every function in the assembly's public types.</summary>
    public static FunctionCatalog FromAssembly(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return FromTypes(assembly.GetExportedTypes());
    }

    /// <summary>Only the functions of these types (tests use it to host one class at a time).</summary>
    public static FunctionCatalog FromTypes(params IEnumerable<Type> types)
    {
        var functions = new List<FunctionDescriptor>();
        var errors = new List<string>();
        foreach (var type in types.Where(t => t.IsClass && (!t.IsAbstract || t.IsSealed /* static class */)))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
                {
                    continue;
                }

                try
                {
                    functions.Add(Describe(function.Name, method));
                }
                catch (InvalidOperationException e)
                {
                    errors.Add(e.Message);
                }
            }
        }

        foreach (var duplicate in functions.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"Function name '{duplicate.Key}' is used by {string.Join(", ", duplicate.Select(f => f.EntryPoint))}.");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Cannot host these functions:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        return new FunctionCatalog(functions.OrderBy(f => f.Name, StringComparer.Ordinal).ToList());
    }

    private static FunctionDescriptor Describe(string name, MethodInfo method)
    {
        var where = $"Function '{name}' ({method.DeclaringType!.FullName}.{method.Name})";
        if (method.IsGenericMethodDefinition)
        {
            throw new InvalidOperationException($"{where} is generic.");
        }

        var triggers = method.GetParameters()
            .Select(p => (Parameter: p, Trigger: Trigger(p)))
            .Where(p => p.Trigger is not null)
            .ToList();
        if (triggers.Count != 1)
        {
            var unsupported = method.GetParameters()
                .SelectMany(p => p.GetCustomAttributes())
                .Select(a => a.GetType().Name)
                .Where(n => n.EndsWith("TriggerAttribute", StringComparison.Ordinal))
                .ToList();
            throw new InvalidOperationException(triggers.Count == 0
                ? $"{where} has no HttpTrigger, TimerTrigger or QueueTrigger parameter" +
                  (unsupported.Count > 0 ? $" (the local host does not support {string.Join(", ", unsupported)})." : ".")
                : $"{where} has more than one trigger parameter.");
        }

        var (parameter, trigger) = triggers[0];
        return trigger switch
        {
            HttpTriggerAttribute http => new HttpFunctionDescriptor(
                name, method, parameter,
                (http.Methods ?? []).Select(m => m.ToUpperInvariant()).Distinct().ToList(),
                // An HttpTrigger without Route is reached at the function's name, as in Functions.
                string.IsNullOrWhiteSpace(http.Route) ? name : http.Route.Trim('/'),
                http.AuthLevel),
            TimerTriggerAttribute timer => new TimerFunctionDescriptor(name, method, parameter, timer.Schedule, timer.RunOnStartup),
            QueueTriggerAttribute queue => new QueueFunctionDescriptor(name, method, parameter, queue.QueueName, queue.Connection),
            _ => throw new InvalidOperationException($"{where}: unexpected trigger {trigger!.GetType().Name}."),
        };
    }

    private static Attribute? Trigger(ParameterInfo parameter) =>
        (Attribute?)parameter.GetCustomAttribute<HttpTriggerAttribute>()
        ?? (Attribute?)parameter.GetCustomAttribute<TimerTriggerAttribute>()
        ?? parameter.GetCustomAttribute<QueueTriggerAttribute>();
}
