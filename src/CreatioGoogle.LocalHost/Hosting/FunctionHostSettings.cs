using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;

namespace CreatioGoogle.LocalHost.Hosting;

/// <summary>
/// The parts of host.json the local host honours, with the Functions runtime's defaults where host.json is silent.
/// </summary>
public sealed class FunctionHostSettings
{
    /// <summary>Functions' default when host.json sets no <c>extensions.http.routePrefix</c>.</summary>
    public const string DefaultRoutePrefix = "api";

    /// <summary><c>extensions.http.routePrefix</c>: "" maps routes at the root, as this app's host.json does.</summary>
    public string RoutePrefix { get; set; } = DefaultRoutePrefix;

    public QueueSettings Queues { get; set; } = new();

    /// <summary>
    /// Reads host.json from <paramref name="directory"/>; a missing file gives the Functions defaults
    /// (route prefix "api"), as the runtime would.
    /// </summary>
    public static FunctionHostSettings LoadFromDirectory(string directory)
    {
        var path = Path.Combine(directory, "host.json");
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : new FunctionHostSettings();
    }

    /// <summary>Parses host.json text (comments and trailing commas allowed, as the runtime allows them).</summary>
    public static FunctionHostSettings Parse(string json)
    {
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var settings = new FunctionHostSettings();
        var extensions = Child(root, "extensions");

        var http = Child(extensions, "http");
        if (Child(http, "routePrefix") is { } prefix)
        {
            settings.RoutePrefix = prefix.GetValue<string>();
        }

        var queues = Child(extensions, "queues");
        var q = settings.Queues;
        if (Child(queues, "batchSize") is { } batchSize) q.BatchSize = batchSize.GetValue<int>();
        if (Child(queues, "maxDequeueCount") is { } maxDequeue) q.MaxDequeueCount = maxDequeue.GetValue<int>();
        if (Child(queues, "visibilityTimeout") is { } visibility) q.VisibilityTimeout = TimeSpan.Parse(visibility.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        if (Child(queues, "maxPollingInterval") is { } polling)
        {
            // Production often polls slowly to save transactions; locally nobody wants to wait, so cap at the local default.
            var configured = TimeSpan.Parse(polling.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            q.MaxPollingInterval = configured < q.MaxPollingInterval ? configured : q.MaxPollingInterval;
        }

        if (Child(queues, "messageEncoding") is { } encoding)
        {
            q.MessageEncoding = encoding.GetValue<string>().ToLowerInvariant() switch
            {
                "base64" => QueueMessageEncoding.Base64,
                "none" => QueueMessageEncoding.None,
                var other => throw new InvalidOperationException($"host.json extensions.queues.messageEncoding '{other}' is not 'base64' or 'none'."),
            };
        }

        settings.Validate();
        return settings;
    }

    /// <summary>Fails at start, not at the first message, when a setting is out of the runtime's range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(RoutePrefix, nameof(RoutePrefix));
        Queues.Validate();
    }

    // host.json keys are case-insensitive in the runtime.
    private static JsonNode? Child(JsonNode? node, string name) =>
        node is JsonObject obj
            ? obj.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value
            : null;
}

/// <summary><c>extensions.queues</c> of host.json, defaults as in the Functions storage extension (v5).</summary>
public sealed class QueueSettings
{
    public int BatchSize { get; set; } = 16;

    /// <summary>How long a message whose function failed stays invisible before its next attempt.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;

    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Longest wait between polls of an empty queue (the wait doubles from <see cref="MinPollingInterval"/>).</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a received message stays hidden while its function runs (the runtime's default, 10 minutes);
    /// it reappears after this if the host dies mid-run.
    /// </summary>
    public TimeSpan ProcessingVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The extension's default is Base64: producers must encode the same way.</summary>
    public QueueMessageEncoding MessageEncoding { get; set; } = QueueMessageEncoding.Base64;

    public void Validate()
    {
        if (BatchSize is < 1 or > 32) throw new InvalidOperationException($"Queue batchSize must be 1..32 (was {BatchSize}).");
        if (MaxDequeueCount < 1) throw new InvalidOperationException($"Queue maxDequeueCount must be at least 1 (was {MaxDequeueCount}).");
        if (VisibilityTimeout < TimeSpan.Zero || VisibilityTimeout > TimeSpan.FromDays(7)) throw new InvalidOperationException($"Queue visibilityTimeout must be 0..7 days (was {VisibilityTimeout}).");
        if (MinPollingInterval <= TimeSpan.Zero || MaxPollingInterval < MinPollingInterval) throw new InvalidOperationException("Queue polling intervals must be positive, the maximum at least the minimum.");
        if (ProcessingVisibilityTimeout < TimeSpan.FromSeconds(1)) throw new InvalidOperationException("Queue processing visibility timeout must be at least 1 s.");
    }
}
