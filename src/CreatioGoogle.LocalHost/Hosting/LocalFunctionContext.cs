using System.Collections;
using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>
/// The <see cref="FunctionContext"/> a function receives when the local host runs it: enough for
/// <c>context.GetLogger(...)</c>, <c>InstanceServices</c>, <c>Items</c> and <c>GetHttpContext()</c>.
/// Bindings, features and retry information of the real worker are not simulated.
/// </summary>
internal sealed class LocalFunctionContext : FunctionContext
{
    /// <summary>The key under which the ASP.NET Core integration keeps the HttpContext (read by <c>GetHttpContext()</c>).</summary>
    internal const string HttpContextItemKey = "HttpRequestContext";

    public LocalFunctionContext(
        FunctionDescriptor function, IServiceProvider services,
        IReadOnlyDictionary<string, object?> bindingData, CancellationToken cancellationToken)
    {
        FunctionDefinition = new LocalFunctionDefinition(function);
        InstanceServices = services;
        BindingContext = new LocalBindingContext(bindingData);
        CancellationToken = cancellationToken;
    }

    public override string InvocationId { get; } = Guid.NewGuid().ToString();
    public override string FunctionId => FunctionDefinition.Id;
    public override TraceContext TraceContext { get; } = new LocalTraceContext();
    public override BindingContext BindingContext { get; }
    public override RetryContext RetryContext { get; } = new LocalRetryContext();
    public override IServiceProvider InstanceServices { get; set; }
    public override FunctionDefinition FunctionDefinition { get; }
    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
    public override IInvocationFeatures Features { get; } = new LocalInvocationFeatures();
    public override CancellationToken CancellationToken { get; }

    private sealed class LocalFunctionDefinition(FunctionDescriptor function) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters { get; } =
            [.. function.Method.GetParameters().Select(p => new FunctionParameter(p.Name ?? "", p.ParameterType))];
        public override string PathToAssembly { get; } = function.Method.DeclaringType!.Assembly.Location;
        public override string EntryPoint => function.EntryPoint;
        // Functions derives the id from the function's identity; a stable name-based id is enough locally.
        public override string Id => function.Name;
        public override string Name => function.Name;
        public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } = ImmutableDictionary<string, BindingMetadata>.Empty;
        public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; } = ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    private sealed class LocalBindingContext(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData => data;
    }

    private sealed class LocalTraceContext : TraceContext
    {
        public override string TraceParent => System.Diagnostics.Activity.Current?.Id ?? "";
        public override string TraceState => System.Diagnostics.Activity.Current?.TraceStateString ?? "";
    }

    private sealed class LocalRetryContext : RetryContext
    {
        public override int RetryCount => 0;
        public override int MaxRetryCount => 0;
    }

    private sealed class LocalInvocationFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = [];

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var value) ? (T)value : default;

        public void Set<T>(T instance)
        {
            if (instance is null) _features.Remove(typeof(T));
            else _features[typeof(T)] = instance;
        }

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
