using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Components.Server.Circuits;
using OpenTelemetry.Metrics;
using OperatorConsole.Infrastructure.Telemetry;

namespace OperatorConsole.App.Hosting;

/// <summary>
/// <c>GET /metrics</c>: the <c>OperatorConsole</c> meter and the runtime's (<c>System.Runtime</c>: GC heap, working set) in Prometheus text, for a scraper holding
/// <c>Authorization: Bearer {Metrics:ScrapeToken}</c> (401 otherwise). Without a configured token the endpoint does not
/// exist (404), so a deployment never publishes its figures by accident.
/// </summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static IServiceCollection AddConsoleMetrics(this IServiceCollection services)
    {
        // The runtime's own meter too (GC heap, working set, thread pool): what a soak watches for a leak, next to the app's figures.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter("System.Runtime").AddPrometheusExporter());
        services.AddScoped<CircuitHandler, CircuitCounter>();
        return services;
    }

    public static WebApplication MapConsoleMetrics(this WebApplication app)
    {
        var token = app.Configuration["Metrics:ScrapeToken"];
        if (string.IsNullOrWhiteSpace(token))
        {
            app.MapGet(Path, () => Results.NotFound()).ExcludeFromDescription();
            return app;
        }
        var expected = Encoding.UTF8.GetBytes("Bearer " + token);
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use((context, next) =>
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString());
            if (CryptographicOperations.FixedTimeEquals(given, expected)) return next(context);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Task.CompletedTask;
        }), optionsName: null);
        return app;
    }
}

/// <summary>Counts this node's open Blazor circuits for its heartbeat.</summary>
public sealed class CircuitCounter(CircuitCount count) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        count.Opened();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        count.Closed();
        return Task.CompletedTask;
    }
}
