using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CreatioGoogle.LocalHost.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CreatioGoogle.Tests.LocalHost;

public sealed class HttpFunctionTests : IAsyncLifetime
{
    private readonly HttpProbe _probe = new();
    private RunningHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await RunningHost.StartAsync(typeof(HttpTestFunctions), services: s => s.AddSingleton(_probe));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Route_values_bind_to_parameters_by_name_and_convert()
    {
        var id = Guid.NewGuid();
        using var response = await _host.Client.GetAsync($"/items/{id}/parts/42?q=hello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, body.GetProperty("id").GetGuid());
        Assert.Equal(42, body.GetProperty("number").GetInt32());
        Assert.Equal("GetPart", body.GetProperty("function").GetString());
        Assert.Equal("hello", body.GetProperty("q").GetString());
    }

    [Fact]
    public async Task A_route_value_that_does_not_convert_is_a_400_problem()
    {
        using var response = await _host.Client.GetAsync($"/items/{Guid.NewGuid()}/parts/many");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Post_body_binds_with_FromBody_and_ObjectResult_keeps_its_status()
    {
        using var response = await _host.Client.PostAsJsonAsync("/items", new { name = "pen", quantity = 2 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var item = await response.Content.ReadFromJsonAsync<NewItem>(JsonSerializerOptions.Web);
        Assert.Equal(new NewItem("pen", 3), item);
    }

    [Fact]
    public async Task Invalid_json_body_is_a_400_problem()
    {
        using var response = await _host.Client.PostAsync("/items", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Catch_all_route_and_ContentResult()
    {
        using var response = await _host.Client.GetAsync("/files/a/b/c.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("path=a/b/c.txt", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RedirectResult_redirects()
    {
        using var response = await _host.Client.GetAsync("/0/ViewPage.aspx?Id=3b22f0ff");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("https://creatio.example/return?state=3b22f0ff", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task ProblemDetails_result_is_written_as_problem()
    {
        using var response = await _host.Client.PutAsync("/conflict", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Already connected", body.GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_exception_is_a_500_problem_without_its_text_and_is_logged()
    {
        using var response = await _host.Client.GetAsync("/fails");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(500, body.GetProperty("status").GetInt32());
        Assert.DoesNotContain(HttpTestFunctions.SecretInException, text, StringComparison.Ordinal);
        Assert.DoesNotContain("InvalidOperationException", text, StringComparison.Ordinal);
        Assert.DoesNotContain("HttpTestFunctions", text, StringComparison.Ordinal); // no stack trace
        Assert.Contains(_host.Log.Lines, l => l.Contains(HttpTestFunctions.SecretInException, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_route_is_404_and_wrong_method_is_405()
    {
        using var unknown = await _host.Client.GetAsync("/nowhere");
        using var wrongMethod = await _host.Client.DeleteAsync("/items");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
    }

    [Fact]
    public async Task Function_without_route_is_at_its_name_for_any_method_with_context_services()
    {
        using var get = await _host.Client.GetAsync("/Ping");
        using var post = await _host.Client.PostAsync("/Ping", null);

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        Assert.Equal(2, _probe.Pings);
        Assert.True(_probe.SawHttpContext);
        Assert.Contains(_host.Log.Lines, l => l.Contains("Pinger: pinged", StringComparison.Ordinal));
    }
}

public sealed class HttpRoutePrefixTests
{
    [Fact]
    public async Task Routes_are_under_the_host_json_route_prefix()
    {
        await using var host = await RunningHost.StartAsync(typeof(HttpTestFunctions),
            new FunctionHostSettings { RoutePrefix = "api" }, services: s => s.AddSingleton(new HttpProbe()));

        using var prefixed = await host.Client.GetAsync("/api/Ping");
        using var bare = await host.Client.GetAsync("/Ping");

        Assert.Equal(HttpStatusCode.OK, prefixed.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
    }

    [Fact]
    public void A_parameter_without_a_binding_fails_the_start_naming_the_function()
    {
        var builder = RunningHost.CreateBuilder(null, new LogSink());

        var error = Assert.Throws<InvalidOperationException>(() => LocalFunctionHost.Build(
            builder, FunctionCatalog.FromTypes(typeof(UnbindableFunctions)), new FunctionHostSettings()));

        Assert.Contains("'Unbindable'", error.Message, StringComparison.Ordinal);
        Assert.Contains("notBound", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'id'", error.Message, StringComparison.Ordinal);
    }
}
