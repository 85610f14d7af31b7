using CreatioGoogle.Broker;
using CreatioGoogle.Broker.Http;
using CreatioGoogle.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// After the ASP.NET Core integration's own middleware, which gives each invocation its HttpContext.
builder.UseMiddleware<BrokerHttpMiddleware>();
builder.Logging.AddBrokerLogFilters();
builder.Services.AddApplicationInsightsTelemetryWorkerService();
builder.Services.ConfigureFunctionsApplicationInsights();
builder.Services.AddBroker(builder.Configuration);
builder.Build().Run();
