using System.Reflection;
using CreatioGoogle.Broker;
using CreatioGoogle.LocalHost.Hosting;

// Runs the Functions app on Kestrel at the address `func start` uses, for machines without Core Tools.
// Still to come (lead): start Azurite and the sandbox Google/Creatio when they are not configured.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://localhost:7071");
builder.Configuration.AddBrokerDefaults();

// By name: the Functions project has no public type yet to write typeof(...).Assembly with.
var functionsAssembly = Assembly.Load(new AssemblyName("CreatioGoogle.Functions"));
var app = LocalFunctionHost.Build(builder, functionsAssembly, services => services.AddBroker(builder.Configuration));
await app.RunAsync();
