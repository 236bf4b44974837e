using OperatorConsole.App.Api;
using OperatorConsole.App.Auth;
using OperatorConsole.App.Hosting;
using OperatorConsole.App.Live;
using OperatorConsole.App.Webhooks;
using OperatorConsole.Infrastructure;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Demo;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    // Configuration is read at start. Reloading on change would watch the content root recursively, and with it every
    // write under .data (the local PostgreSQL cluster, stored media): CPU taken from requests for nothing.
    Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
    // appsettings.json and wwwroot live at the repository root (mandated layout).
    ContentRootPath = AppPaths.ContentRoot,
    WebRootPath = Path.Combine(AppPaths.ContentRoot, "wwwroot"),
});

// Serve _framework and package assets from the build output in every environment (a no-op once published).
builder.WebHost.UseStaticWebAssets();
builder.AddConsoleLogging();
builder.Services.AddConsoleInfrastructure(builder.Configuration);
builder.Services.AddConsoleIdentity();
builder.Services.AddConsoleApi();
builder.Services.AddConsoleUi();
builder.Services.AddConsoleLive();
builder.Services.AddConsoleMetrics();

var app = builder.Build();

await app.Services.GetRequiredService<DatabaseInitializer>().InitializeAsync();
await app.Services.SeedDemoIfConfiguredAsync();

app.UseConsolePipeline();
app.MapConsoleHealth();
app.MapConsoleMetrics();
app.MapConsoleApi();
app.MapWebhooks();
app.MapBenchEndpoints();
app.MapMediaEndpoints();
app.MapLeadExport();
app.MapEmbeddedSignup();
app.MapAccountEndpoints();
app.MapConsoleLive();
app.MapConsoleUi();

app.Run();

public partial class Program;
