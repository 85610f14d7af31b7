using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>A request or message that cannot be bound to the function's parameters (bad route value, bad JSON).</summary>
internal sealed class FunctionBindingException(string message) : Exception(message);

/// <summary>Binds one parameter from the trigger's input; null from a binder factory means "not mine".</summary>
internal delegate ValueTask<object?> ParameterBinder<in TInput>(TInput input, FunctionContext context);

/// <summary>
/// Calls one function: binds its parameters (decided once, at start, so a parameter the host cannot fill
/// fails the start instead of a request), creates its class from the invocation's services, awaits the result.
/// </summary>
internal sealed class FunctionInvoker<TInput>
{
    private readonly MethodInfo _method;
    private readonly ParameterBinder<TInput>[] _binders;
    private readonly Microsoft.Extensions.DependencyInjection.ObjectFactory? _factory;
    private readonly Type? _resultType;

    private FunctionInvoker(FunctionDescriptor function, ParameterBinder<TInput>[] binders)
    {
        Function = function;
        _method = function.Method;
        _binders = binders;
        // Functions creates the class per invocation with constructor injection; so does the local host.
        _factory = _method.IsStatic ? null : Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateFactory(_method.DeclaringType!, Type.EmptyTypes);
        var returnType = _method.ReturnType;
        _resultType = returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? returnType.GetGenericArguments()[0]
            : null;
    }

    public FunctionDescriptor Function { get; }

    /// <summary>
    /// Decides how each parameter is bound: <see cref="FunctionContext"/> and <see cref="CancellationToken"/> for
    /// every trigger, the rest by <paramref name="bindSpecific"/>. Throws, naming the function and the
    /// parameters, when any is left unbound.
    /// </summary>
    public static FunctionInvoker<TInput> Create(
        FunctionDescriptor function, Func<ParameterInfo, ParameterBinder<TInput>?> bindSpecific, Func<Type, string?>? checkReturnType = null)
    {
        var errors = new List<string>();
        var binders = new List<ParameterBinder<TInput>>();
        foreach (var parameter in function.Method.GetParameters())
        {
            ParameterBinder<TInput>? binder =
                parameter.ParameterType == typeof(FunctionContext) ? (_, context) => ValueTask.FromResult<object?>(context)
                : parameter.ParameterType == typeof(CancellationToken) ? (_, context) => ValueTask.FromResult<object?>(context.CancellationToken)
                : bindSpecific(parameter);
            if (binder is null)
            {
                errors.Add($"parameter '{parameter.Name}' ({parameter.ParameterType.Name}) has no binding the local host knows");
            }
            else
            {
                binders.Add(binder);
            }
        }

        if (checkReturnType?.Invoke(function.Method.ReturnType) is { } returnError)
        {
            errors.Add(returnError);
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"Function '{function.Name}' ({function.EntryPoint}): {string.Join("; ", errors)}.");
        }

        return new FunctionInvoker<TInput>(function, [.. binders]);
    }

    /// <summary>Runs the function; returns what it returned (the awaited value for Task&lt;T&gt;), null for void/Task.</summary>
    public async Task<object?> InvokeAsync(TInput input, FunctionContext context)
    {
        var arguments = new object?[_binders.Length];
        for (var i = 0; i < _binders.Length; i++)
        {
            arguments[i] = await _binders[i](input, context);
        }

        var instance = _factory?.Invoke(context.InstanceServices, null);
        // DoNotWrapExceptions: the function's own exception reaches the caller, not a TargetInvocationException.
        var returned = _method.Invoke(instance, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
        switch (returned)
        {
            case Task task:
                await task;
                return _resultType is null ? null : task.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(task);
            case ValueTask valueTask:
                await valueTask;
                return null;
            case not null when _resultType is not null && _method.ReturnType.GetGenericTypeDefinition() == typeof(ValueTask<>):
                var asTask = (Task)_method.ReturnType.GetMethod(nameof(ValueTask<object>.AsTask))!.Invoke(returned, null)!;
                await asTask;
                return asTask.GetType().GetProperty(nameof(Task<object>.Result))!.GetValue(asTask);
            default:
                return returned;
        }
    }
}
