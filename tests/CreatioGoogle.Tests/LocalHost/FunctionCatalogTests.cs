using System.Reflection;
using CreatioGoogle.LocalHost.Hosting;

namespace CreatioGoogle.Tests.LocalHost;

public sealed class FunctionCatalogTests
{
    [Fact]
    public void Classifies_functions_by_trigger_attribute()
    {
        var catalog = FunctionCatalog.FromTypes(typeof(HttpTestFunctions), typeof(TimerTestFunctions), typeof(QueueTestFunctions));

        var part = Assert.Single(catalog.Http, f => f.Name == "GetPart");
        Assert.Equal("items/{id}/parts/{number}", part.Route);
        Assert.Equal(["GET"], part.Methods);
        var ping = Assert.Single(catalog.Http, f => f.Name == "Ping");
        Assert.Equal("Ping", ping.Route);
        Assert.Empty(ping.Methods);
        var timer = Assert.Single(catalog.Timers);
        Assert.Equal("%" + TimerTestFunctions.ScheduleSetting + "%", timer.Schedule);
        var queue = Assert.Single(catalog.Queues);
        Assert.Equal("%" + QueueTestFunctions.QueueSetting + "%", queue.QueueName);
        Assert.Null(queue.Connection);
    }

    [Fact]
    public void Scans_the_functions_assembly()
    {
        var functions = Assembly.Load(new AssemblyName("CreatioGoogle.Functions"));

        var catalog = FunctionCatalog.FromAssembly(functions);

        Assert.All(catalog.Functions, f => Assert.Same(functions, f.Method.DeclaringType!.Assembly));
    }

    [Fact]
    public void Reads_the_repository_host_json_copied_to_the_output()
    {
        var settings = LocalFunctionHost.LoadHostJson(Assembly.Load(new AssemblyName("CreatioGoogle.Functions")));

        Assert.Equal("", settings.RoutePrefix);
        Assert.Equal(16, settings.Queues.BatchSize);
        Assert.Equal(5, settings.Queues.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Queues.VisibilityTimeout);
    }

    [Fact]
    public void Without_host_json_the_functions_defaults_apply()
    {
        var settings = FunctionHostSettings.LoadFromDirectory(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")));

        Assert.Equal("api", settings.RoutePrefix);
        Assert.Equal(5, settings.Queues.MaxDequeueCount);
        Assert.Equal(Azure.Storage.Queues.QueueMessageEncoding.Base64, settings.Queues.MessageEncoding);
    }

    [Fact]
    public void Host_json_settings_are_read_case_insensitively_and_validated()
    {
        var settings = FunctionHostSettings.Parse("""
            { // comments are allowed, as in the runtime
              "Extensions": { "HTTP": { "RoutePrefix": "v1" }, "queues": { "batchSize": 4, "maxPollingInterval": "00:00:30", "messageEncoding": "none" } }
            }
            """);

        Assert.Equal("v1", settings.RoutePrefix);
        Assert.Equal(4, settings.Queues.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.Queues.MaxPollingInterval); // capped locally
        Assert.Equal(Azure.Storage.Queues.QueueMessageEncoding.None, settings.Queues.MessageEncoding);
        Assert.Throws<InvalidOperationException>(() => FunctionHostSettings.Parse("""{ "extensions": { "queues": { "batchSize": 64 } } }"""));
    }
}
